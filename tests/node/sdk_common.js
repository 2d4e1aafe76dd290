// What the SDK scripts here share: their one JSON argument ({url, accountSid, keySid,
// secret, serviceSid, ...}), one JSON line per thing seen, Access Tokens minted as
// twilio-node mints them, clients connected to chinwag's socket, and waiting for a state.
"use strict";
const { Client } = require("@twilio/conversations");
const twilio = require("twilio");

const config = JSON.parse(process.argv[2]);
const socketUri = config.url.replace(/^http/, "ws") + "/v3/wsconnect";
const say = (what) => process.stdout.write(JSON.stringify(what) + "\n");
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// options: another `secret` (a forged token), a `ttl`, the chat grant's `pushCredentialSid`.
function token(identity, options = {}) {
  if (config.tokens && config.tokens[identity]) return config.tokens[identity];
  const { AccessToken } = twilio.jwt;
  const minted = new AccessToken(config.accountSid, config.keySid, options.secret || config.secret, {
    identity,
    ttl: options.ttl || config.ttl || 3600,
  });
  minted.addGrant(new AccessToken.ChatGrant({
    serviceSid: config.serviceSid, pushCredentialSid: options.pushCredentialSid,
  }));
  return minted.toJwt();
}

function connect(identity, jwt = token(identity), uri = socketUri) {
  return new Promise((resolve, reject) => {
    const client = new Client(jwt, { Twilsock: { uri } });
    const timer = setTimeout(() => reject(new Error(`${identity}: not initialized`)), 15000);
    client.on("initialized", () => { clearTimeout(timer); resolve(client); });
    client.on("initFailed", ({ error }) => { clearTimeout(timer); reject(error || new Error("initFailed")); });
    client.on("connectionError", (error) =>
      say({ event: "connectionError", identity, errorCode: error.errorCode, terminal: error.terminal,
            message: error.message }));
    client.on("tokenAboutToExpire", () => say({ event: "tokenAboutToExpire", identity }));
    client.on("tokenExpired", () => say({ event: "tokenExpired", identity }));
  });
}

async function until(check, what, ms = 15000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

// Runs a script's main function: exit 0 when it ends, else an "error" line and exit 1.
function run(main) {
  main()
    .then(() => process.exit(0))
    .catch((error) => { say({ event: "error", message: String(error && error.stack || error) }); process.exit(1); });
}

module.exports = { config, socketUri, say, sleep, token, connect, until, run };
