import type { Response } from 'express';
import type { HttpProblem } from './errors';
import type { AnswerBody, ResponseFormat } from './formats/dto';
import { serializeAnswer } from './formats';

/** What a handler answers: a DTO written in the negotiated format, or fixed content. */
export type Answer =
  | { status: number; body: AnswerBody; headers?: Record<string, string> }
  | { status: number; content: string; contentType: string; headers?: Record<string, string> };

export function problemAnswer(problem: HttpProblem): Answer {
  return { status: problem.status, body: { kind: 'error', dto: problem.body }, headers: problem.headers };
}

/** Writes an answer byte for byte: no charset or ETag added behind our back. */
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
  res.writeHead(answer.status, { ...headers, 'Content-Length': String(bytes.length) });
  res.end(bytes);
}
