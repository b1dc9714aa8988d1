/** An error raised by tensorfold itself; `code` names the failure for programs. */
export class TensorfoldError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'TensorfoldError';
    this.code = code;
  }
}
