/**
 * A promise and its settle functions without allocating an executor closure per call: the hot
 * commands (get, set) make one promise each, and `new Promise((resolve, reject) => …)` costs a
 * closure and its context on top of the promise. Use as
 *
 *   const promise = new Promise<T>(captureSettlers);
 *   const resolve = settlers.resolve as Resolve<T>;
 *   const reject = settlers.reject;
 *
 * with nothing in between (the executor runs synchronously inside the constructor).
 */

export type Resolve<T> = (value: T) => void;

export const settlers: { resolve: Resolve<never>; reject: (err: Error) => void } = {
  resolve: () => {},
  reject: () => {},
};

export function captureSettlers(resolve: Resolve<never>, reject: (err: Error) => void): void {
  settlers.resolve = resolve;
  settlers.reject = reject;
}
