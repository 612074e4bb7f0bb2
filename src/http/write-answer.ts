import type { Response } from 'express';
import type { Answer } from './answers';
import { serializeAnswer, type ResponseFormat } from './formats';

/** Writes an answer byte for byte: no charset or ETag added behind our back, never sniffed. */
export function writeAnswer(res: Response, format: ResponseFormat, answer: Answer): void {
  let payload: string;
  let headers: Record<string, string>;
  if ('content' in answer) {
    payload = answer.content;
    headers = { 'Content-Type': answer.contentType, ...answer.headers };
  } else {
    const serialized = serializeAnswer(format, answer.body);
    payload = serialized.payload;
    headers = { 'Content-Type': serialized.contentType, Vary: 'Accept', ...serialized.headers, ...answer.headers };
  }
  const bytes = Buffer.from(payload, 'utf8');
  res.writeHead(answer.status, { ...headers, 'X-Content-Type-Options': 'nosniff', 'Content-Length': String(bytes.length) });
  res.end(bytes);
}
