// Drives real @twilio/conversations 3.0.1 clients against chinwag; prints one JSON line per
// thing seen. Input: one JSON argument {url, accountSid, keySid, secret, serviceSid,
// conversationSid, scenario, identities, ttl}. Run by tests/e2e/test_client_sdk.py.
"use strict";
const { config, say, sleep, token, connect, until, run } = require("./sdk_common");

function watch(identity, conversation) {
  conversation.on("messageAdded", (m) =>
    say({ event: "messageAdded", identity, index: m.index, body: m.body, author: m.author,
          attributes: m.attributes, participantSid: m.participantSid }));
  conversation.on("messageUpdated", ({ message, updateReasons }) =>
    say({ event: "messageUpdated", identity, index: message.index, body: message.body,
          reasons: updateReasons }));
  conversation.on("messageRemoved", (m) =>
    say({ event: "messageRemoved", identity, index: m.index }));
  conversation.on("participantJoined", (p) =>
    say({ event: "participantJoined", identity, who: p.identity }));
  conversation.on("typingStarted", (p) => say({ event: "typingStarted", identity, who: p.identity }));
  conversation.on("typingEnded", (p) => say({ event: "typingEnded", identity, who: p.identity }));
  conversation.on("participantUpdated", ({ participant, updateReasons }) => {
    if (updateReasons.includes("lastReadMessageIndex")) {
      say({ event: "readHorizon", identity, who: participant.identity,
            index: participant.lastReadMessageIndex });
    }
  });
  conversation.on("updated", ({ updateReasons }) =>
    say({ event: "conversationUpdated", identity, reasons: updateReasons,
          attributes: conversation.attributes }));
}

async function twoClients() {
  const [alice, bob, carol] = config.identities;
  const a = await connect(alice, token(alice));
  const b = await connect(bob, token(bob));
  // carol is connected to another server on the same database
  const c = await connect(carol, token(carol), config.otherUrl.replace(/^http/, "ws") + "/v3/wsconnect");
  say({ event: "connected", identities: [a.user.identity, b.user.identity] });
  b.on("conversationJoined", (joined) =>
    say({ event: "conversationJoined", identity: bob, friendlyName: joined.friendlyName }));
  const ca = await a.getConversationBySid(config.conversationSid);
  const cb = await b.getConversationBySid(config.conversationSid);
  const cc = await c.getConversationBySid(config.conversationSid);
  watch(alice, ca);
  watch(bob, cb);
  watch(carol, cc);
  await cc.getMessages();
  const participants = await ca.getParticipants();
  say({ event: "participants", identities: participants.map((p) => p.identity).sort() });
  const history = await cb.getMessages();
  say({ event: "history", bodies: history.items.map((m) => m.body) });
  say({ event: "ready" });
  // The test creates a REST message now; then alice sends one, types, reads, updates.
  const seen = new Set();
  cb.on("messageAdded", (m) => seen.add(m.body));
  ca.on("messageAdded", (m) => seen.add(`alice:${m.body}`));
  await until(() => seen.has("from REST") && seen.has("alice:from REST"), "the REST message");
  const index = await ca.sendMessage("hello from the SDK", { mood: "sunny" });
  say({ event: "sent", index });
  const atCarol = new Set();
  cc.on("messageAdded", (m) => atCarol.add(m.body));
  await until(() => seen.has("hello from the SDK"), "the SDK message at bob");
  await until(() => atCarol.has("hello from the SDK"), "the SDK message at carol");
  const mine = (await ca.getMessages(1)).items[0];
  await mine.updateBody("hello again from the SDK");
  const scratch = await ca.sendMessage("to be removed");
  const [removable] = (await ca.getMessages(1, scratch)).items;
  await removable.remove();
  await ca.typing();
  await sleep(300);
  await cb.setAllMessagesRead();
  say({ event: "readAll", identity: bob });
  await ca.updateAttributes({ topic: "tests" });
  await sleep(1500);
  say({ event: "done" });
  await a.shutdown();
  await b.shutdown();
  await c.shutdown();
}

async function refused() {
  const [alice] = config.identities;
  for (const [name, jwt] of [
    ["forged", token(alice, { secret: "not-the-secret-at-all-0123456789" })],
    ["expired", expiredToken(alice)],
  ]) {
    try {
      const client = await connect(alice, jwt);
      say({ event: "accepted", name });
      await client.shutdown();
    } catch (error) {
      say({ event: "refused", name, message: String(error && (error.message || error)) });
    }
    await sleep(300); // the SDK tells tokenExpired on a later tick
  }
}

function expiredToken(identity) {
  const jwt = require("jsonwebtoken");
  const now = Math.floor(Date.now() / 1000);
  return jwt.sign(
    { jti: `${config.keySid}-${now}`, grants: { identity, chat: { service_sid: config.serviceSid } },
      iss: config.keySid, sub: config.accountSid, iat: now - 7200, nbf: now - 7200, exp: now - 3600 },
    config.secret, { header: { cty: "twilio-fpa;v=1", typ: "JWT" } });
}

async function catchUp() {
  // Connects and subscribes; the test then restarts the server and writes a message
  // while this client is away. Reports what it hears once it is back.
  const [alice] = config.identities;
  const a = await connect(alice, token(alice));
  const ca = await a.getConversationBySid(config.conversationSid);
  watch(alice, ca);
  await ca.getMessages();
  const heard = new Set();
  ca.on("messageAdded", (m) => heard.add(m.body));
  a.on("connectionStateChanged", (state) => say({ event: "state", state }));
  say({ event: "ready" });
  await until(() => heard.has(config.expect), `the message '${config.expect}'`, 30000);
  say({ event: "done" });
  await a.shutdown();
}

async function supportDesk() {
  // An agent (channel admin) and a customer (channel user) on the SDK; the agent's
  // message came through REST. Prints what each attempt did.
  const [agent, customer] = config.identities;
  const a = await connect(agent, token(agent));
  const c = await connect(customer, token(customer));
  const ca = await a.getConversationBySid(config.conversationSid);
  const cc = await c.getConversationBySid(config.conversationSid);
  const attempt = async (name, action) => {
    try {
      await action();
      say({ event: "allowed", name });
    } catch (error) {
      say({ event: "refused", name, status: error.status ?? null, body: error.body ?? null,
            message: String((error && error.message) || error) });
    }
  };
  await attempt("customer sends", () => cc.sendMessage("this darn parcel"));
  await attempt("customer sends spam", () => cc.sendMessage("buy cheap watches"));
  await until(async () => (await cc.getMessages()).items.length === 2, "both messages");
  const [agents, customers] = (await cc.getMessages()).items;
  say({ event: "stored", bodies: [agents.body, customers.body] });
  await attempt("customer edits the agent's", () => agents.updateBody("I am the agent now"));
  await attempt("customer deletes the agent's", () => agents.remove());
  await attempt("customer renames", () => cc.updateFriendlyName("mine"));
  await attempt("customer removes the agent", () => cc.removeParticipant(agent));
  const [, theirs] = (await ca.getMessages()).items;
  await attempt("agent edits the customer's", () => theirs.updateBody("edited by the agent"));
  await attempt("agent removes the customer", () => ca.removeParticipant(customer));
  await a.shutdown();
  await c.shutdown();
}

async function demoApp() {
  // The demo app's flow (twilio/twilio-conversations-demo-react): create, join, add a chat
  // and an SMS participant, send, rename, edit one's friendly name, leave. Bob watches.
  const [alice, bob] = config.identities;
  const a = await connect(alice, token(alice));
  const b = await connect(bob, token(bob));
  const created = await a.createConversation({ friendlyName: "Demo", attributes: { topic: "demo" } });
  await created.join();
  say({ event: "created", sid: created.sid, friendlyName: created.friendlyName });
  await created.add(bob);
  await created.addNonChatParticipant("+15550002222", "+15550001111", { via: "sdk" });
  await created.sendMessage("hello from the demo");
  await created.updateFriendlyName("Demo renamed");
  const seen = await b.getUser(alice);
  await a.user.updateFriendlyName("Alice A.");
  await until(() => seen.friendlyName === "Alice A.", "bob to see alice's new friendly name");
  say({ event: "userSeen", friendlyName: seen.friendlyName });
  const mine = await a.getConversationBySid(created.sid);
  await until(async () => (await mine.getParticipants()).length === 3, "three participants");
  say({ event: "counts", messages: await mine.getMessagesCount(),
        participants: await mine.getParticipantsCount() });
  const types = (await mine.getParticipants()).map((p) => [p.identity, p.type]);
  say({ event: "types", types: types.sort() });
  await mine.leave();
  say({ event: "left" });
  await a.shutdown();
  await b.shutdown();
}

async function lookups() {
  // Finding and tuning a conversation: by unique name, a peek and join by a non-member, a new
  // unique name, read horizons set and cleared, and a muted notification level.
  const [alice, bob] = config.identities;
  const a = await connect(alice, token(alice));
  const b = await connect(bob, token(bob));
  const found = await a.getConversationByUniqueName(config.uniqueName);
  say({ event: "byUniqueName", sid: found.sid });
  const peeked = await b.peekConversationBySid(config.conversationSid);
  say({ event: "peeked", friendlyName: peeked.friendlyName, status: peeked.status });
  await peeked.join();
  await until(() => peeked.status === "joined", "bob's status to become joined");
  say({ event: "joined", status: peeked.status });
  await found.updateUniqueName(config.newUniqueName);
  await until(() => found.uniqueName === config.newUniqueName, "the new unique name");
  say({ event: "renamed", uniqueName: found.uniqueName });
  const unread = await found.updateLastReadMessageIndex(1);
  say({ event: "readUpTo", unread, index: found.lastReadMessageIndex });
  await found.setAllMessagesUnread();
  say({ event: "allUnread", unread: await found.getUnreadMessagesCount() });
  await found.setUserNotificationLevel("muted");
  await until(() => found.notificationLevel === "muted", "the muted notification level");
  say({ event: "muted", level: found.notificationLevel });
  const [first] = (await found.getMessages(1, 0, "forward")).items;
  const edited = new Promise((resolve) => found.on("messageUpdated", ({ updateReasons }) => resolve(updateReasons)));
  await first.updateAttributes({ starred: true });
  say({ event: "messageAttributes", reasons: await edited, attributes: first.attributes });
  const left = new Promise((resolve) => found.on("participantLeft", (p) => resolve(p.identity)));
  const gone = new Promise((resolve) => b.on("conversationLeft", (c) => resolve(c.sid)));
  await peeked.leave();
  say({ event: "left", participantLeft: await left, conversationLeft: await gone });
  await a.shutdown();
  await b.shutdown();
}

async function otherCalls() {
  // The remaining calls of a front-end that are neither media nor push nor email, each
  // reported with what it answered; alice is the channel admin, bob a channel user.
  const [alice, bob] = config.identities;
  const a = await connect(alice, token(alice));
  const b = await connect(bob, token(bob));
  const mine = await a.getConversationBySid(config.conversationSid);
  const theirs = await b.getConversationBySid(config.conversationSid);
  await a.updateToken(token(alice));
  say({ event: "tokenUpdated", state: a.connectionState });
  await mine.getParticipants();
  const users = await a.getSubscribedUsers();
  say({ event: "subscribedUsers", identities: users.map((u) => u.identity).sort() });
  say({ event: "attributes", attributes: await mine.getAttributes() });
  const bobs = await mine.getParticipantByIdentity(bob);
  const same = await mine.getParticipantBySid(bobs.sid);
  say({ event: "participantLookups", identity: same.identity, user: (await same.getUser()).identity });
  const own = await mine.getParticipantByIdentity(alice);
  await own.updateAttributes({ desk: "returns" });
  await until(() => own.attributes.desk === "returns", "alice's participant attributes");
  const page = await mine.getMessages(2);
  const older = page.hasPrevPage ? await page.prevPage() : null;
  const back = older && older.hasNextPage ? await older.nextPage() : null;
  say({ event: "pages", first: page.items.map((m) => m.body), older: older && older.items.map((m) => m.body),
        back: back && back.items.map((m) => m.body) });
  const [latest] = page.items.slice(-1);
  say({ event: "messageLookups", participant: (await latest.getParticipant()).identity,
        content: await latest.getContentData(), channelMetadata: await latest.getChannelMetadata(),
        media: latest.getMediaByCategories(["media"]).length,
        byCategory: latest.getMediaByCategory(["media"]).length,
        email: [latest.getEmailBody(), latest.getEmailHistory()],
        recipients: (await mine.getMessageRecipients()).items.length });
  const index = await mine.prepareMessage().setBody("built").setAttributes({ built: true })
    .setSubject("no email channel: ignored").buildAndSend();
  say({ event: "built", index });
  const advanced = await theirs.advanceLastReadMessageIndex(1);
  await until(() => theirs.lastReadMessageIndex === 1, "bob's read horizon");
  await theirs.advanceLastReadMessageIndex(0); // behind the horizon: nothing changes
  say({ event: "advanced", unread: advanced, index: theirs.lastReadMessageIndex });
  const me = a.user;
  await me.updateAttributes({ team: "support" });
  await until(() => me.attributes.team === "support", "alice's user attributes");
  const seen = await b.getUser(alice);
  await seen.unsubscribe();
  const gone = new Promise((resolve) => mine.on("participantLeft", (p) => resolve(p.identity)));
  const left = new Promise((resolve) => b.on("conversationLeft", (c) => resolve(c.sid)));
  await bobs.remove();
  say({ event: "removed", participantLeft: await gone, conversationLeft: await left });
  const removed = new Promise((resolve) => a.on("conversationRemoved", (c) => resolve(c.sid)));
  await mine.delete();
  say({ event: "deleted", conversationRemoved: await removed });
  await a.shutdown();
  await b.shutdown();
}

const scenarios = { twoClients, refused, catchUp, supportDesk, demoApp, lookups, otherCalls };
run(scenarios[config.scenario]);
