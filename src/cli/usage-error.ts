/**
 * A mistake on the command line (missing option, malformed value, input name not in the
 * graph). main() maps it to exit code 2, like other Unix tools, so scripts can tell a
 * wrong invocation from a failed calibration (exit code 1).
 */
import { AmctError, ErrorCode, ErrorContext } from '../errors';

export class UsageError extends AmctError {
  constructor(message: string, context: ErrorContext = {}, code: ErrorCode = 'INVALID_ARGUMENT') {
    super(code, message, { hint: 'run "amct-ts calibration --help" for the options', ...context });
  }
}
