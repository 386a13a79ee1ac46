/**
 * Known-answer vectors: fixed entries and their digests, computed outside this code base from
 * the canonical text written out by hand (Python hashlib/hmac; the first entry also with
 * `printf '%s' … | sha256sum` and `openssl dgst -sha256 -hmac`). Text hashed:
 * `runway-ledger-v1/entry\n<prevHash>\n<canonical JSON, keys sorted>`.
 * If the encoding ever changes, old ledgers would stop verifying; this fails first. The strings include non-ASCII characters (hashed as UTF-8) and a fractional exposure.
 */
export const KAT = {
  spec: { variants: [{ weight: 50, name: 'control' }, { name: 'tréatment', weight: 50 }], id: 'kat-1' },
  specHash: '9ca5709f25b90154f797cbed55ac8da624e1ee91919fa07935d8f8b109513c46',
  genesis: '5d4cd37f3454abe21c33cf2195027d9c87ded8b5ed41f4796a0afc94de36b590',
  entries: [
    {
      fields: { experimentId: 'kat-1', seq: 1, at: 1767225600000, from: 'draft', to: 'queued', step: 0, exposure: 0, actor: { type: 'person', id: 'alice' }, reason: 'enqueued', verdictId: null, verdictSeq: null, allocation: null },
      text: '{"actor":{"id":"alice","type":"person"},"allocation":null,"at":1767225600000,"experimentId":"kat-1","exposure":0,"from":"draft","reason":"enqueued","seq":1,"step":0,"to":"queued","verdictId":null,"verdictSeq":null}',
      hash: '8c2bffa5d83ee920f8f3d17bf2d7462cc942ca628972e8f6c9a5d855aa5eba67',
    },
    {
      fields: { experimentId: 'kat-1', seq: 2, at: 1767229200000, from: 'running', to: 'running', step: 1, exposure: 12.5, actor: { type: 'verdict', id: 'v-7' }, reason: 'ramp: guardrails healthy ✓', verdictId: 'v-7', verdictSeq: 3, allocation: { start: 5000, size: 2500 } },
      text: '{"actor":{"id":"v-7","type":"verdict"},"allocation":{"size":2500,"start":5000},"at":1767229200000,"experimentId":"kat-1","exposure":12.5,"from":"running","reason":"ramp: guardrails healthy ✓","seq":2,"step":1,"to":"running","verdictId":"v-7","verdictSeq":3}',
      hash: 'ed0c603dacc7d5a80d89778714a22519e2ac5a0a3c7d24e266b7037bb6018039',
    },
  ],
} as const


/** RUNWAY_LEDGER_KEY mode over the same entries: HMAC-SHA256 (Python hmac), tagged k1:<key id>. */
export const KAT_KEYED = {
  secret: '0123456789abcdef0123456789abcdef-kat',
  /** first 8 hex of sha256("runway-ledger-v1/key-id\n" + secret) */
  keyId: 'f9ec6ac9',
  hashes: [
    'k1:f9ec6ac9:2746fc064ca0b141418e8a75a11771f05cedd7708bcdffd21addb5e7297cdf98',
    'k1:f9ec6ac9:52da68dd4c3419dddfecd092d32324d19ee2e464ff5b41cd95d49e757a3d47ef',
  ],
} as const
