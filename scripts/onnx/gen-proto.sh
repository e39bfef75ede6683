#!/bin/sh
# Regenerates src/engine/model/onnx/proto.js from Debian python3-onnx's onnx.proto: a static decoder (no codegen at
# run time, which workerd forbids) built on protobufjs/minimal.
set -e
out=src/engine/model/onnx/proto.js
npx pbjs -t static-module -w es6 --no-encode --no-verify --no-convert --no-delimited --no-create --no-beautify --no-comments \
  -o /tmp/onnx-pb.js "${1:-/usr/lib/python3/dist-packages/onnx/onnx.proto}"
{ echo "// Generated from onnx 1.12's onnx.proto by scripts/onnx/gen-proto.sh (pbjs static-module, decode only; no eval, so it runs in workerd). Do not edit."; cat /tmp/onnx-pb.js; } > "$out"
