import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { CALLBACK_OUTCOMES, type CallbackOutcome } from '../ipn/outcome';

/** The service's Prometheus metrics, on a registry of its own (one per running app). */
export class CallbackMetrics {
  readonly registry = new Registry();
  private readonly callbacks = new Counter({
    name: 'qvickly_ipn_callbacks_total',
    help: 'Callbacks answered, by outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  private readonly duration = new Histogram({
    name: 'qvickly_ipn_request_duration_seconds',
    help: 'Time from a callback request to its answer, in seconds',
    labelNames: ['status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    // Every outcome has a series from the start, so a rate() over a new outcome is defined.
    for (const outcome of CALLBACK_OUTCOMES) this.callbacks.inc({ outcome }, 0);
  }

  callbackAnswered(outcome: CallbackOutcome): void {
    this.callbacks.inc({ outcome });
  }

  requestFinished(status: number, seconds: number): void {
    this.duration.observe({ status: String(status) }, seconds);
  }

  async exposition(): Promise<{ contentType: string; text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }
}
