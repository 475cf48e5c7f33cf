// Runs each corpus model through ONNX Runtime (the npm package onnxruntime-node) on its inputs and
// compares the first output with sparsecim's (written by `sparsecim infer` as NAME.sc.npy).
// Prints one line per model with the largest relative difference, max|a - b| / max|b|, and exits
// 1 if any exceeds the tolerance.
//
// Usage: node compare.js CORPUS_DIR TOLERANCE   (NODE_PATH must reach onnxruntime-node)
"use strict";
const fs = require("fs");
const path = require("path");
const ort = require("onnxruntime-node");

// A little-endian float32, C-order .npy file (what numpy.save and `sparsecim infer` write).
function readNpy(file) {
  const b = fs.readFileSync(file);
  if (b.toString("latin1", 0, 6) !== "\x93NUMPY") throw new Error(file + ": not a .npy file");
  const major = b[6];
  const hlen = major === 1 ? b.readUInt16LE(8) : b.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = b.toString("latin1", start, start + hlen);
  if (!header.includes("'descr': '<f4'") || !header.includes("'fortran_order': False"))
    throw new Error(file + ": expected little-endian float32 in C order: " + header.trim());
  const dims = header.match(/'shape': \(([^)]*)\)/)[1].split(",").map((s) => s.trim())
      .filter((s) => s.length).map(Number);
  const data = new Float32Array(b.buffer.slice(b.byteOffset + start + hlen, b.byteOffset + b.length));
  return { dims, data };
}

async function main() {
  const dir = process.argv[2];
  const tol = Number(process.argv[3]);
  let failed = 0, models = 0;
  for (const f of fs.readdirSync(dir).filter((f) => f.endsWith(".onnx")).sort()) {
    const stem = f.slice(0, -5);
    const x = readNpy(path.join(dir, stem.replace(/-op\d+$/, "") + ".x.npy"));
    const ours = readNpy(path.join(dir, stem + ".sc.npy"));
    const session = await ort.InferenceSession.create(path.join(dir, f));
    const feeds = {};
    feeds[session.inputNames[0]] = new ort.Tensor("float32", x.data, x.dims);
    const out = (await session.run(feeds))[session.outputNames[0]];
    const same = out.dims.length === ours.dims.length && out.dims.every((d, i) => d === ours.dims[i]);
    let diff = 0, scale = 0;
    for (let i = 0; same && i < out.data.length; ++i) {
      diff = Math.max(diff, Math.abs(out.data[i] - ours.data[i]));
      scale = Math.max(scale, Math.abs(out.data[i]));
    }
    const rel = same ? diff / Math.max(scale, 1e-30) : Infinity;
    const ok = same && rel <= tol;
    failed += ok ? 0 : 1;
    models += 1;
    console.log(`${ok ? "ok  " : "FAIL"} ${stem.padEnd(20)} output [${out.dims}] ` +
                (same ? `max rel diff ${rel.toExponential(2)}` : `shape differs: ours [${ours.dims}]`));
  }
  console.log(`${models - failed} of ${models} models within ${tol} of ONNX Runtime ` +
              `${require("onnxruntime-node/package.json").version}`);
  process.exit(failed || models === 0 ? 1 : 0);
}

main().catch((e) => { console.error("compare.js: " + e.message); process.exit(2); });
