/** A request path as the contract's router is given it, and the route suffix as it was sent. */
export interface NormalisedPath {
  /** Lower-cased, trailing slashes removed: paths match case-insensitively, as in ServiceStack. */
  path: string;
  /** The text after the first '.' of the last segment, exactly as sent (`.CSV` or `.json.xml` name no format). */
  suffix: string | undefined;
}

const SLASH = 47;

/**
 * The only routing work outside the router: case, trailing slashes and the `.{format}` suffix.
 * The path is taken as sent (no dot-segment or backslash resolution), and scanned without
 * regular expressions, so its length costs linear time whatever it holds.
 */
export function normalisePath(pathname: string): NormalisedPath {
  let end = pathname.length;
  while (end > 1 && pathname.charCodeAt(end - 1) === SLASH) end -= 1;
  const trimmed = pathname.slice(0, end);
  const dot = trimmed.indexOf('.', trimmed.lastIndexOf('/'));
  const suffix = dot < 0 ? undefined : trimmed.slice(dot + 1);
  return { path: trimmed.toLowerCase(), suffix };
}

/** Splits a request target at its first '?': the path as sent and the raw query. */
export function splitTarget(target: string): { pathname: string; rawQuery: string } {
  const question = target.indexOf('?');
  return question < 0
    ? { pathname: target || '/', rawQuery: '' }
    : { pathname: target.slice(0, question) || '/', rawQuery: target.slice(question + 1) };
}
