// A real @twilio/conversations 3.0.1 client registering for push with chinwag, then parsing
// the pushes chinwag recorded with the SDK's own handlePushNotification; prints one JSON
// line per thing seen. Input: one JSON argument {url, accountSid, authToken, keySid, secret,
// serviceSid, conversationSid, apnCredentialSid}. Run by tests/e2e/test_client_sdk_push.py,
// which sends bob a message and adds him to a conversation when it reads {"event": "ready"}.
"use strict";
const { config, say, sleep, token, connect, run } = require("./sdk_common");

const basic = "Basic " + Buffer.from(`${config.accountSid}:${config.authToken}`).toString("base64");

// A call the SDK retries for minutes when chinwag answers an error: given 15 s to settle.
function settles(promise, what) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle`)), 15000);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

async function rest(path) {
  const answer = await fetch(config.url + path, { headers: { Authorization: basic } });
  if (answer.status !== 200) throw new Error(`${path}: ${answer.status} ${await answer.text()}`);
  return answer.json();
}

async function bindings() {
  const listed = await rest(`/v1/Services/${config.serviceSid}/Bindings`);
  return listed.bindings.map((b) => ({ identity: b.identity, type: b.binding_type, address: b.endpoint,
                                      credential: b.credential_sid, messageTypes: b.message_types }));
}

async function pushesOf(identity) {
  const listed = await rest(`/chinwag/v1/Services/${config.serviceSid}/Pushes?Identity=${identity}`);
  return listed.pushes;
}

async function push() {
  const bob = await connect("bob", token("bob", { pushCredentialSid: config.apnCredentialSid }));
  await settles(bob.setPushRegistrationId("fcm", "fcm-token-bob"), "bob's fcm registration");
  await settles(bob.setPushRegistrationId("apn", "apn-token-bob"), "bob's apn registration");
  say({ event: "registered", identity: "bob" });

  const carol = await connect("carol");
  await settles(carol.setPushRegistrationId("fcm", "fcm-token-carol"), "carol's registration");
  const muted = await carol.getConversationBySid(config.conversationSid);
  await muted.setUserNotificationLevel("muted");
  const end = Date.now() + 10000; // the level comes back with the user's conversations map
  while (muted.notificationLevel !== "muted" && Date.now() < end) await sleep(50);
  say({ event: "registered", identity: "carol", level: muted.notificationLevel });
  say({ event: "bindings", bindings: await bindings() });

  const parsed = [];
  bob.on("pushNotification", (notification) => parsed.push(notification));
  say({ event: "ready" });
  let recorded = [];
  const deadline = Date.now() + 10000;
  while (recorded.length < 4 && Date.now() < deadline) { // a new message and an addition, fcm and apn
    recorded = await pushesOf("bob");
    await sleep(50);
  }
  for (const pushed of recorded.reverse()) { // oldest first
    await bob.handlePushNotification(pushed.payload);
    const { title, body, sound, badge, action, type, data } = parsed[parsed.length - 1];
    say({ event: "parsed", bindingType: pushed.binding_type, pushed: pushed.payload,
          notification: { title, body, sound, badge, action, type, data } });
  }

  await settles(bob.unsetPushRegistrationId("apn"), "bob's apn unregistration");
  say({ event: "unset", bindings: await bindings() });
  await settles(bob.removePushRegistrations("fcm", "fcm-token-bob"), "bob's fcm removal");
  say({ event: "removed", bindings: await bindings() });
  await carol.shutdown();
  await bob.shutdown();
  say({ event: "done" });
}

run(push);
