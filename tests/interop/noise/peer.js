#!/usr/bin/env node
// peer.js - an independent Noise peer for interop tests against simpul's
// proto/noise.c (see README.md here and docs/PROTOCOL.md, "Handshake").
//
// It speaks Noise_XX_25519_ChaChaPoly_BLAKE2b through the npm package
// noise-handshake, never through simpul's code: prologue "simpul/1", a
// static X25519 key converted from an Ed25519 node key, every message in a
// frame of a 2-byte big-endian length, an empty payload in message 1 and
// the sender's 32-byte Ed25519 public key (its node id) in messages 2 and 3.
//
//   node peer.js dial HOST:PORT [options]     the initiator
//   node peer.js listen HOST:PORT [options]   the responder (one connection)
//   node peer.js id [--seed HEX]              prints the node id and exits
//
// Options:
//   --seed HEX     32-byte Ed25519 seed (default: a fresh random key)
//   --expect ID    the remote node id must be this one (hex, or simpul's
//                  52-character base32 form)
//   --send HEX     after the handshake, send these bytes as one transport
//                  message (may be repeated)
//   --recv N       after the handshake, read N transport messages
//   --timeout MS   give up after MS milliseconds (default 10000)
//
// Output on stdout: "local HEX" and "local_id BASE32" (our node id) once
// the key is known; when listening, "listening HOST:PORT" once bound;
// after the handshake "remote HEX" (the payload: the node id the peer
// proved) and "remote_id BASE32", and "hash HEX" (the handshake hash);
// "recv HEX" for each transport message read; then "OK". Errors go to
// stderr; the exit status is 0 on success, 1 on any failure.
'use strict'

const net = require('net')
const sodium = require('sodium-universal')
const Noise = require('noise-handshake')
const Cipher = require('noise-handshake/cipher')

const PROLOGUE = Buffer.from('simpul/1')
const HANDSHAKE_FRAME_MAX = 1024 // docs/PROTOCOL.md: before the handshake completes
const FRAME_MAX = 65535

function usage () {
  process.stderr.write('usage: node peer.js dial|listen HOST:PORT [--seed HEX] ' +
    '[--expect ID] [--send HEX]... [--recv N] [--timeout MS]\n' +
    '       node peer.js id [--seed HEX]\n')
  process.exit(1)
}

function hexArg (s, len, what) {
  if (!/^([0-9a-fA-F]{2})*$/.test(s) || (len !== undefined && s.length !== 2 * len)) {
    throw new Error(`${what}: expected ${len === undefined ? '' : len + ' bytes of '}hex`)
  }
  return Buffer.from(s, 'hex')
}

// RFC 4648 base32, lowercase, no padding: how simpul shows node ids.
const B32 = 'abcdefghijklmnopqrstuvwxyz234567'

function base32 (buf) {
  let out = ''
  let bits = 0
  let acc = 0
  for (const b of buf) {
    acc = (acc << 8 | b) & 0xffff
    bits += 8
    while (bits >= 5) {
      out += B32[(acc >> (bits - 5)) & 31]
      bits -= 5
    }
  }
  if (bits > 0) out += B32[(acc << (5 - bits)) & 31]
  return out
}

function nodeIdArg (s) {
  if (s.length === 64) return hexArg(s, 32, '--expect')
  const id = Buffer.alloc(32)
  let bits = 0
  let acc = 0
  let n = 0
  if (s.length !== 52) throw new Error('--expect: expected a node id (64 hex or 52 base32 characters)')
  for (const c of s.toLowerCase()) {
    const v = B32.indexOf(c)
    if (v < 0) throw new Error('--expect: bad base32 character')
    acc = (acc << 5 | v) & 0xffff
    bits += 5
    if (bits >= 8) {
      id[n++] = (acc >> (bits - 8)) & 255
      bits -= 8
    }
  }
  return id
}

function parseArgs (argv) {
  const opts = { mode: argv[0], send: [], recv: 0, timeout: 10000 }
  let i = 1

  if (!['dial', 'listen', 'id'].includes(opts.mode)) usage()
  if (opts.mode !== 'id') {
    const m = /^(.*):(\d+)$/.exec(argv[i++] || '')
    if (!m) usage()
    opts.host = m[1].replace(/^\[(.*)\]$/, '$1')
    opts.port = Number(m[2])
  }
  for (; i < argv.length; i += 2) {
    const v = argv[i + 1]
    if (v === undefined) usage()
    switch (argv[i]) {
      case '--seed': opts.seed = hexArg(v, 32, '--seed'); break
      case '--expect': opts.expect = nodeIdArg(v); break
      case '--send': opts.send.push(hexArg(v, undefined, '--send')); break
      case '--recv': opts.recv = Number(v); break
      case '--timeout': opts.timeout = Number(v); break
      default: usage()
    }
  }
  if (!Number.isInteger(opts.recv) || opts.recv < 0) usage()
  return opts
}

// The node's Ed25519 key pair and the X25519 static key converted from it,
// as libsodium's crypto_sign_ed25519_*_to_curve25519 do on simpul's side.
function nodeKeys (seed) {
  const ed = { publicKey: Buffer.alloc(32), secretKey: Buffer.alloc(64) }
  const x = { publicKey: Buffer.alloc(32), secretKey: Buffer.alloc(32) }

  if (seed) sodium.crypto_sign_seed_keypair(ed.publicKey, ed.secretKey, seed)
  else sodium.crypto_sign_keypair(ed.publicKey, ed.secretKey)
  sodium.crypto_sign_ed25519_pk_to_curve25519(x.publicKey, ed.publicKey)
  sodium.crypto_sign_ed25519_sk_to_curve25519(x.secretKey, ed.secretKey)
  return { ed, x }
}

// Splits a TCP stream into length-prefixed frames; read() resolves with
// the next one.
class Framer {
  constructor (socket) {
    this.buf = Buffer.alloc(0)
    this.waiting = null
    this.error = null
    this.max = HANDSHAKE_FRAME_MAX
    socket.on('data', (d) => { this.buf = Buffer.concat([this.buf, d]); this._wake() })
    socket.on('end', () => this._fail(new Error('connection closed by peer')))
    socket.on('error', (e) => this._fail(e))
  }

  _fail (e) {
    if (!this.error) this.error = e
    this._wake()
  }

  _take () {
    if (this.buf.length < 2) return null
    const n = this.buf.readUInt16BE(0)
    if (n > this.max) throw new Error(`frame of ${n} bytes exceeds ${this.max}`)
    if (this.buf.length < 2 + n) return null
    const f = this.buf.subarray(2, 2 + n)
    this.buf = this.buf.subarray(2 + n)
    return f
  }

  _wake () {
    if (!this.waiting) return
    const { resolve, reject } = this.waiting
    try {
      const f = this._take()
      if (f) {
        this.waiting = null
        resolve(f)
      } else if (this.error) {
        this.waiting = null
        reject(this.error)
      }
    } catch (e) {
      this.waiting = null
      reject(e)
    }
  }

  read () {
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject }
      this._wake()
    })
  }
}

function writeFrame (socket, msg) {
  if (msg.length > FRAME_MAX) throw new Error(`message of ${msg.length} bytes is too long`)
  const len = Buffer.alloc(2)
  len.writeUInt16BE(msg.length)
  socket.write(Buffer.concat([len, msg]))
}

// The remote node id from a message 2 or 3 payload: it must name the
// static key the handshake authenticated (and the expected node, if any).
function checkRemote (payload, noise, expect) {
  const x = Buffer.alloc(32)

  if (payload.length !== 32) throw new Error(`remote payload is ${payload.length} bytes, not a 32-byte node id`)
  sodium.crypto_sign_ed25519_pk_to_curve25519(x, payload)
  if (!x.equals(Buffer.from(noise.rs))) throw new Error('remote node id does not match its Noise static key')
  if (expect && !expect.equals(payload)) throw new Error(`remote node id ${payload.toString('hex')} is not the expected ${expect.toString('hex')}`)
}

async function session (socket, initiator, keys, opts) {
  const framer = new Framer(socket)
  const noise = new Noise('XX', initiator, keys.x)
  let payload

  noise.initialise(PROLOGUE)
  if (initiator) {
    writeFrame(socket, noise.send()) // -> e
    payload = Buffer.from(noise.recv(await framer.read())) // <- e, ee, s, es
    checkRemote(payload, noise, opts.expect)
    writeFrame(socket, noise.send(keys.ed.publicKey)) // -> s, se
  } else {
    noise.recv(await framer.read())
    writeFrame(socket, noise.send(keys.ed.publicKey))
    payload = Buffer.from(noise.recv(await framer.read()))
    checkRemote(payload, noise, opts.expect)
  }
  if (!noise.complete) throw new Error('handshake did not complete')
  console.log(`remote ${payload.toString('hex')}`)
  console.log(`remote_id ${base32(payload)}`)
  console.log(`hash ${Buffer.from(noise.hash).toString('hex')}`)

  // noise.tx is this side's sending key (the initiator's is Split()'s first).
  const tx = new Cipher(noise.tx)
  const rx = new Cipher(noise.rx)
  framer.max = FRAME_MAX
  for (const m of opts.send) writeFrame(socket, Buffer.from(tx.encrypt(m)))
  for (let i = 0; i < opts.recv; i++) {
    const pt = rx.decrypt(await framer.read())
    console.log(`recv ${Buffer.from(pt).toString('hex')}`)
  }
  await new Promise((resolve) => socket.end(resolve))
}

function connect (opts) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(opts.port, opts.host)
    socket.once('connect', () => { socket.removeListener('error', reject); resolve(socket) })
    socket.once('error', reject)
  })
}

function accept (opts) {
  return new Promise((resolve, reject) => {
    const server = net.createServer({ pauseOnConnect: false })
    server.once('error', reject)
    server.once('connection', (socket) => { server.close(); resolve(socket) })
    server.listen(opts.port, opts.host, () => {
      const a = server.address()
      console.log(`listening ${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`)
    })
  })
}

async function main () {
  const opts = parseArgs(process.argv.slice(2))
  const keys = nodeKeys(opts.seed)

  console.log(`local ${keys.ed.publicKey.toString('hex')}`)
  console.log(`local_id ${base32(keys.ed.publicKey)}`)
  if (opts.mode === 'id') return
  setTimeout(() => {
    process.stderr.write(`peer.js: timed out after ${opts.timeout} ms\n`)
    process.exit(1)
  }, opts.timeout).unref()
  const socket = opts.mode === 'dial' ? await connect(opts) : await accept(opts)
  await session(socket, opts.mode === 'dial', keys, opts)
  console.log('OK')
}

main().then(() => process.exit(0), (e) => {
  process.stderr.write(`peer.js: ${e.message}\n`)
  process.exit(1)
})
