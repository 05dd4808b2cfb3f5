// nodemailer costs about 130 ms and 14 MiB to load (measured with Node 20, unbundled), more than the rest of the
// server's start; most processes send no mail, so it is loaded on the first send only. The bundle keeps a
// dynamic import in a chunk of its own (scripts/bundle.mjs).
export function loadNodemailer(): Promise<typeof import('nodemailer')> {
  return import('nodemailer');
}
