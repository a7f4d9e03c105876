#!/usr/bin/env node
// harness.js - an independent Negentropy v1 client behind the line protocol
// of the reference conformance suite (hoytech/negentropy,
// test/cpp/harness.cpp), so that tests can pair it with simpul's
// tests/interop/negentropy-harness as the server, the way the suite's
// fuzz.pl pairs two harnesses. The reconciler is nostr-tools' nip77
// (Negentropy, NegentropyStorageVector), a TypeScript port of the reference
// JS code written for Nostr clients; no simpul code is involved here.
//
// In (stdin, one command a line):
//   item,TIMESTAMP,IDHEX   add an item
//   seal                   sort the items and start a session
//   initiate               be the client: print the first message
//   msg,HEX                the server's reply
// Out (stdout):
//   msg,HEX                the next message for the server
//   have,IDHEX / need,IDHEX   ids only we / only the server has
//   done                   reconciliation is complete
// FRAMESIZELIMIT in the environment: 0 or unset for none, else >= 4096.
// Any error is printed to stderr and ends the program with status 1.
//
// Client only: nip77 has no server role (a v1 server answers an IdList
// with its own ids; nip77 always reconciles an IdList as the initiator
// does), so a msg before initiate is refused. And nip77 has no "no limit"
// setting (it defaults to 60,000 bytes): no limit is the largest safe
// integer. Timestamps must stay below 2^31 (its varints use 32-bit
// operators, as the reference JS does): on simpul's own timestamps it
// never converges.
'use strict'

const path = require('node:path')
const readline = require('node:readline')
// nip77 is built into the package but not in its "exports" map, so it is
// loaded by its file.
const { Negentropy, NegentropyStorageVector } =
  require(path.join(__dirname, 'node_modules/nostr-tools/lib/cjs/nip77.js'))

function frameLimit () {
  const v = process.env.FRAMESIZELIMIT
  if (v === undefined || v === '' || v === '0') return Number.MAX_SAFE_INTEGER
  if (!/^[0-9]+$/.test(v)) throw new Error(`FRAMESIZELIMIT: not a number: ${v}`)
  return Number(v)
}

function main () {
  const limit = frameLimit()
  const storage = new NegentropyStorageVector()
  const out = []
  let neg = null
  let client = false

  const flush = () => {
    if (out.length) process.stdout.write(out.join('\n') + '\n')
    out.length = 0
  }
  const session = () => {
    if (neg === null) throw new Error('not sealed')
    return neg
  }

  const rl = readline.createInterface({ input: process.stdin, terminal: false })
  rl.on('line', (line) => {
    try {
      const f = line.split(',')
      switch (f[0]) {
        case 'item':
          if (f.length !== 3 || !/^[0-9]+$/.test(f[1]) || !/^[0-9a-f]{64}$/.test(f[2])) {
            throw new Error(`bad item: ${line}`)
          }
          storage.insert(Number(f[1]), f[2])
          break
        case 'seal':
          storage.seal()
          neg = new Negentropy(storage, limit)
          break
        case 'initiate':
          client = true
          out.push('msg,' + session().initiate())
          break
        case 'msg': {
          if (f.length !== 2) throw new Error(`bad msg: ${line}`)
          const have = []
          const need = []
          if (!client) throw new Error('nip77 has no server role: initiate first')
          const reply = session().reconcile(f[1], (id) => have.push(id), (id) => need.push(id))
          for (const id of have) out.push('have,' + id)
          for (const id of need) out.push('need,' + id)
          out.push(reply === null ? 'done' : 'msg,' + reply)
          break
        }
        default:
          throw new Error(`unknown command: ${f[0]}`)
      }
      flush()
    } catch (e) {
      process.stderr.write(`harness.js: ${e.message}\n`)
      process.exit(1)
    }
  })
}

main()
