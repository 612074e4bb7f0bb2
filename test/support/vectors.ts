import { readFileSync } from 'node:fs';
import path from 'node:path';

export interface QvicklyVector {
  id: string;
  secret: string;
  data: Record<string, unknown>;
  signed_string: string;
  hash: string;
  json_body: string;
  form_body: string;
  naive_matches: boolean;
}

interface VectorFile {
  reference_check: { secret: string; data: Record<string, unknown>; signed_string: string; hash: string };
  vectors: QvicklyVector[];
}

/** The shared reference vectors (built and checked with PHP 8.2), kept beside the project. */
export const vectorFile = JSON.parse(
  readFileSync(path.join(__dirname, '..', 'fixtures', 'qvickly_vectors.json'), 'utf8'),
) as VectorFile;
export const vectors = vectorFile.vectors;
