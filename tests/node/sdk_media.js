// Real @twilio/conversations 3.0.1 clients sending and reading media through chinwag: alice
// uploads with `sendMessage(media)` and `prepareMessage().addMedia(...)`, bob reads the
// descriptors and downloads the bytes from the temporary URLs with no credentials; the
// SDK's count limit and the server's size limit refuse what they must. Prints one JSON
// line per thing seen. Input: one JSON argument {url, accountSid, keySid, secret,
// serviceSid, conversationSid, pngBase64}. Run by tests/e2e/test_client_sdk_media.py,
// which adds a REST media message and an inbound MMS when it reads {"event": "ready"}.
"use strict";
const { config, say, connect, until, run } = require("./sdk_common");

const PNG = Buffer.from(config.pngBase64, "base64");
const NOTE = Buffer.from("a plain note\n");

// What a browser would do with a temporary URL: a plain GET, no credentials at all.
async function download(url) {
  const answer = await fetch(url);
  return { status: answer.status, base64: Buffer.from(await answer.arrayBuffer()).toString("base64") };
}

// A received message's media as the SDK shows them, each downloaded two ways: its own
// temporary URL (`getContentTemporaryUrl`, a GET of the media record) and the message's
// batch (`getTemporaryContentUrlsForAttachedMedia`, the MediaSet endpoint).
async function described(message) {
  const batch = await message.getTemporaryContentUrlsForAttachedMedia();
  const media = [];
  for (const medium of message.attachedMedia) {
    const url = await medium.getContentTemporaryUrl();
    media.push({
      sid: medium.sid, contentType: medium.contentType, filename: medium.filename,
      size: medium.size, category: medium.category, url,
      own: await download(url), batch: await download(batch.get(medium.sid)),
    });
  }
  return { event: "received", index: message.index, author: message.author, body: message.body, media };
}

// The SDK's other ways to a message's temporary URLs: the client's and the message's, by
// media or by SIDs, and `attachTemporaryUrlsFor`; each URL downloaded with no credentials.
async function otherWays(client, message) {
  const media = message.attachedMedia;
  const sids = media.map((medium) => medium.sid);
  const maps = [
    await client.getTemporaryContentUrlsForMediaSids(sids),
    await client.getTemporaryContentUrlsForMedia(media),
    await message.getTemporaryContentUrlsForMediaSids(sids),
    await message.getTemporaryContentUrlsForMedia(media),
  ];
  const statuses = [];
  for (const urls of maps) {
    for (const sid of sids) statuses.push((await download(urls.get(sid))).status);
  }
  const attached = await message.attachTemporaryUrlsFor(media);
  return { event: "otherWays", statuses, attached: attached.map((medium) => medium.sid) };
}

async function media() {
  const alice = await connect("alice");
  const bob = await connect("bob");
  const { mediaService, mediaSetService } = alice._configuration.links; // what its media client got
  say({ event: "links", mediaService, mediaSetService });
  const aliceChat = await alice.getConversationBySid(config.conversationSid);
  const bobChat = await bob.getConversationBySid(config.conversationSid);
  const limits = aliceChat.limits;
  say({ event: "limits", count: limits.mediaAttachmentsCountLimit,
        sizeMb: limits.mediaAttachmentSizeLimitInMb, totalMb: limits.mediaAttachmentsTotalSizeLimitInMb });
  const received = [];
  bobChat.on("messageAdded", (message) => received.push(message));

  const first = await aliceChat.sendMessage({ contentType: "image/png", filename: "dot.png", media: PNG });
  const second = await aliceChat.prepareMessage()
    .setBody("two files")
    .addMedia({ contentType: "image/png", filename: "dot.png", media: PNG })
    .addMedia({ contentType: "text/plain", filename: "note.txt", media: NOTE })
    .build()
    .send();
  say({ event: "sent", indexes: [first, second] });

  const tooMany = aliceChat.prepareMessage();
  for (let i = 0; i <= limits.mediaAttachmentsCountLimit; i++) {
    tooMany.addMedia({ contentType: "text/plain", filename: `n${i}.txt`, media: NOTE });
  }
  try {
    tooMany.build();
    say({ event: "tooMany", refused: false });
  } catch (error) {
    say({ event: "tooMany", refused: true, message: String(error.message) });
  }
  const oversize = Buffer.alloc(limits.mediaAttachmentSizeLimitInMb * 1024 * 1024 + 1);
  try {
    await aliceChat.sendMessage({ contentType: "video/mp4", filename: "big.mp4", media: oversize });
    say({ event: "oversize", refused: false });
  } catch (error) {
    say({ event: "oversize", refused: true, status: error.code, body: error.body });
  }

  await until(() => received.length >= 2, "bob's two media messages");
  for (const message of received.splice(0, 2)) say(await described(message));
  say({ event: "ready" }); // the test now sends a REST media message and an inbound MMS
  await until(() => received.length >= 2, "the REST and MMS media messages");
  const late = received.splice(0, 2);
  for (const message of late) say(await described(message));
  say(await otherWays(bob, late[0]));
  await alice.shutdown();
  await bob.shutdown();
  say({ event: "done" });
}

run(media);
