// application/x-www-form-urlencoded bodies, only on the routes that take a form. A repeated parameter
// arrives as an array, which every handler refuses (RFC 6749 §3.1); a large body is refused before parsing.
import express, { type RequestHandler } from 'express';

// body-parser types its middleware for Node's IncomingMessage; ours take Express's Request, which extends it.
export const parseForm: RequestHandler = express.urlencoded({ extended: false, limit: '32kb', parameterLimit: 100 });
