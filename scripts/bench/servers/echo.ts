import express from 'express';

/**
 * Benchmark target (a): bare express 5 that parses the JSON body and echoes it. The most any
 * express-based receiver of these callbacks could do on this machine.
 */
const app = express();
app.disable('x-powered-by');
app.set('etag', false);
app.use(express.json({ type: () => true, limit: 65536 }));
app.use((req, res) => {
  res.json(req.body);
});

const port = Number(process.env.PORT);
app.listen(port, '127.0.0.1');
