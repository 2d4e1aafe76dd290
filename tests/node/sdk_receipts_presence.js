// A real @twilio/conversations 3.0.1 client reading delivery receipts, content templates,
// email recipients and reachability from chinwag; prints one JSON line per thing seen.
// Input: one JSON argument {url, accountSid, keySid, secret, serviceSid, conversationSid}.
// Run by tests/e2e/test_client_sdk_receipts_and_presence.py, which records a receipt when
// it reads the line {"event": "ready"}.
"use strict";
const { Client } = require("@twilio/conversations");
const twilio = require("twilio");

const config = JSON.parse(process.argv[2]);
const socketUri = config.url.replace(/^http/, "ws") + "/v3/wsconnect";
const say = (what) => process.stdout.write(JSON.stringify(what) + "\n");
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function token(identity) {
  const { AccessToken } = twilio.jwt;
  const minted = new AccessToken(config.accountSid, config.keySid, config.secret, { identity, ttl: 3600 });
  minted.addGrant(new AccessToken.ChatGrant({ serviceSid: config.serviceSid }));
  return minted.toJwt();
}

function connect(identity) {
  return new Promise((resolve, reject) => {
    const client = new Client(token(identity), { Twilsock: { uri: socketUri } });
    const timer = setTimeout(() => reject(new Error(`${identity}: not initialized`)), 15000);
    client.on("initialized", () => { clearTimeout(timer); resolve(client); });
    client.on("initFailed", ({ error }) => { clearTimeout(timer); reject(error || new Error("initFailed")); });
  });
}

async function until(check, what, ms = 10000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

const summary = (r) => r && { total: r.total, sent: r.sent, delivered: r.delivered, read: r.read,
                              undelivered: r.undelivered, failed: r.failed };

async function receiptsAndPresence() {
  const agent = await connect("agent");
  const conversation = await agent.getConversationBySid(config.conversationSid);
  const [message] = (await conversation.getMessages()).items;
  say({ event: "aggregated", receipt: summary(message.aggregatedDeliveryReceipt) });
  const detailed = await message.getDetailedDeliveryReceipts();
  say({ event: "detailed", receipts: detailed.map((r) => ({ sid: r.sid, status: r.status,
        participantSid: r.participantSid, errorCode: r.errorCode })) });
  say({ event: "templates", count: (await agent.getContentTemplates()).length });
  say({ event: "recipients", count: (await message.getMessageRecipients()).length });
  const bob = await agent.getUser("bob");
  say({ event: "reachability", enabled: agent.reachabilityEnabled, online: bob.isOnline,
        notifiable: bob.isNotifiable });

  let updated = null;
  conversation.on("messageUpdated", ({ message: changed, updateReasons }) => {
    if (updateReasons.includes("deliveryReceipt")) updated = summary(changed.aggregatedDeliveryReceipt);
  });
  const seen = [];
  agent.on("userUpdated", ({ user, updateReasons }) => {
    if (user.identity === "bob" && updateReasons.includes("reachabilityOnline")) seen.push(user.isOnline);
  });
  say({ event: "ready" });
  await until(() => updated && updated.read === "all", "the receipt read");
  say({ event: "deliveryUpdated", receipt: updated });

  const bobsClient = await connect("bob");
  await until(() => seen.includes(true), "bob online");
  await bobsClient.getSubscribedConversations(); // settled: shutting down mid-fetch throws
  await bobsClient.shutdown();
  await until(() => seen.includes(false), "bob offline");
  say({ event: "userUpdated", online: seen });
  await agent.shutdown();
  say({ event: "done" });
}

receiptsAndPresence()
  .then(() => process.exit(0))
  .catch((error) => { say({ event: "error", message: String(error && error.stack || error) }); process.exit(1); });
