// A mistake the person can fix (an unknown id, a path that is not a folder, input out of range), as opposed
// to a fault of the app. Transports tell them apart: the web host answers 400/404 with the message, not 500.

export type UserErrorStatus = 400 | 404 | 409;

export class UserError extends Error {
  constructor(
    message: string,
    /** The HTTP status that says what kind of mistake: 400 wrong input, 404 nothing with that id or path, 409 not now. */
    readonly status: UserErrorStatus = 400,
  ) {
    super(message);
    this.name = 'UserError';
  }
}
