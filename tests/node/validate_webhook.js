// Validates webhook requests chinwag sent, as an Express app using twilio-node would:
// through `twilio.webhook(authToken, { sharedKeySecret })` (its middleware), and by hand
// with `validateRequest(secret, signature, url, params, getSignatureAlgorithm(settings))`.
//
// argv[2]: JSON {authToken, sharedKeySecret, requests: [{url, method, headers, params}]}.
// Prints one JSON line per request: {middleware: <status, 200 when next() ran>, manual: bool}.
"use strict";

const twilio = require("twilio");

function header(headers, name) {
  const wanted = name.toLowerCase();
  const found = Object.keys(headers).find((key) => key.toLowerCase() === wanted);
  return found === undefined ? undefined : headers[found];
}

// What the middleware reads of an Express request and writes to its response.
function throughMiddleware(middleware, request) {
  const url = new URL(request.url);
  let status = 200;
  const response = {
    type() {
      return this;
    },
    status(code) {
      status = code;
      return this;
    },
    send() {
      return this;
    },
  };
  let passed = false;
  middleware(
    {
      header: (name) => header(request.headers, name),
      headers: { host: url.host },
      protocol: url.protocol.replace(":", ""),
      originalUrl: url.pathname + url.search,
      body: request.method === "POST" ? request.params : {},
    },
    response,
    () => {
      passed = true;
    },
  );
  return passed ? 200 : status;
}

function manually(config, request) {
  const settings = header(request.headers, twilio.SIGNATURE_SETTINGS_HEADER);
  const secret = settings ? config.sharedKeySecret : config.authToken;
  const algorithm = twilio.getSignatureAlgorithm(settings);
  const signature = header(request.headers, twilio.SIGNATURE_HEADER);
  const params = request.method === "POST" ? request.params : {};
  return twilio.validateRequest(secret || "", signature, request.url, params, algorithm);
}

const config = JSON.parse(process.argv[2]);
const options = config.sharedKeySecret ? { sharedKeySecret: config.sharedKeySecret } : {};
const middleware = twilio.webhook(config.authToken, options);
for (const request of config.requests) {
  const result = {
    middleware: throughMiddleware(middleware, request),
    manual: manually(config, request),
  };
  process.stdout.write(JSON.stringify(result) + "\n");
}
