// application/x-www-form-urlencoded bodies, only on the routes that take a form. A repeated parameter
// arrives as an array, which every handler refuses (RFC 6749 §3.1); a large body is refused before parsing.
import express from 'express';

export const parseForm = express.urlencoded({ extended: false, limit: '32kb', parameterLimit: 100 });
