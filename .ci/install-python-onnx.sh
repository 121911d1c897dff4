#!/usr/bin/env bash
# Installs Debian's python3-onnx (onnx 1.12: onnx.checker knows opset 17) for /usr/bin/python3, so that the
# FEENet ONNX export tests (libs/feenet/test/onnx-export.test.ts) also run onnx.checker on the exported graphs.
# Optional by design: where it cannot be installed those checks are skipped with a reason, so this never fails.
set -u
PY=/usr/bin/python3
if [ -x "$PY" ] && "$PY" -c 'import onnx' 2>/dev/null; then
  echo "python3-onnx: already present ($("$PY" -c 'import onnx; print(onnx.__version__)'))"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "python3-onnx: no apt-get here; the onnx.checker tests will be skipped"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
install() { timeout 600 apt-get install -y -qq --no-install-recommends python3-onnx >/dev/null 2>&1; }
if ! install; then
  timeout 300 apt-get update -qq >/dev/null 2>&1 || true
  install || true
fi
if [ -x "$PY" ] && "$PY" -c 'import onnx' 2>/dev/null; then
  echo "python3-onnx: installed ($("$PY" -c 'import onnx; print(onnx.__version__)'))"
else
  echo "python3-onnx: could not be installed; the onnx.checker tests will be skipped"
fi
exit 0
