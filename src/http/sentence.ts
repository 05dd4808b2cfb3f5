// A rule's message as a sentence on a page: the shared rules (src/manage, src/auth) write theirs for a command
// line ("the password must be …"); a form shows "The password must be ….".
export function sentence(message: string): string {
  const capitalised = message.charAt(0).toUpperCase() + message.slice(1);
  return /[.!?]$/.test(capitalised) ? capitalised : `${capitalised}.`;
}
