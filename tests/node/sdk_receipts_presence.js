// A real @twilio/conversations 3.0.1 client reading delivery receipts, content templates,
// email recipients and reachability from chinwag; prints one JSON line per thing seen.
// Input: one JSON argument {url, accountSid, keySid, secret, serviceSid, conversationSid}.
// Run by tests/e2e/test_client_sdk_receipts_and_presence.py, which records a receipt when
// it reads the line {"event": "ready"}.
"use strict";
const { config, say, connect, until, run } = require("./sdk_common");

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

run(receiptsAndPresence);
