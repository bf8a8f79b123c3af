// Camera scanning on staff forms. A <button data-scan="FIELD-ID"> opens the camera in the
// [data-scanner] dialog and fills the field with the first QR label or EAN-13 / UPC-A barcode
// it sees; a label URL (HTTP://HOST/Q/CODE) is shortened to its label code. The browser's own
// BarcodeDetector is used where it exists; elsewhere ZXing (static/vendor/zxing.min.js,
// @zxing/library 0.23.0, Apache-2.0, loaded on first use) decodes frames drawn on a canvas.
// window.OneshelfScanner.decode(imageOrVideoOrCanvas) is the decoder, for tests and other pages.
(function () {
  "use strict";
  const dialog = document.querySelector("[data-scanner]");
  const FORMATS = ["qr_code", "ean_13", "upc_a"];
  const LABEL_URL = /^[a-z][a-z0-9+.-]*:\/\/[^/\s]+(?:\/\S*)?\/q\/([a-z0-9]+)\/?$/i;
  const FRAME_MS = 150;

  /** What goes into the code field: a label URL becomes its code, anything else stays. */
  function codeFrom(text) {
    const trimmed = String(text || "").trim();
    const match = LABEL_URL.exec(trimmed);
    return match ? match[1].toUpperCase() : trimmed;
  }

  // ---- decoders ----------------------------------------------------------------------

  class DecoderError extends Error {}

  let zxingLoading = null;
  function loadZxing() {
    if (typeof window.ZXing !== "undefined") return Promise.resolve(window.ZXing);
    if (!zxingLoading) {
      const src = (dialog && dialog.dataset.zxingSrc) || "/static/vendor/zxing.min.js";
      zxingLoading = new Promise((resolve, reject) => {
        const script = document.createElement("script");
        script.src = src;
        script.onload = () => resolve(window.ZXing);
        script.onerror = () => {
          zxingLoading = null;
          reject(new DecoderError("The barcode decoder could not be loaded. Type the code instead."));
        };
        document.head.appendChild(script);
      });
    }
    return zxingLoading;
  }

  // ZXing's QR finder misses a few percent of codes at one scale that it reads at another,
  // so a frame is tried at full size, at half size, and (for clean images) as a pure code.
  const ATTEMPTS = [{ scale: 1 }, { scale: 0.5 }, { scale: 1, pure: true }];
  const zxingReaders = {};
  function zxingReaderFor(ZXing, pure) {
    const key = pure ? "pure" : "plain";
    if (!zxingReaders[key]) {
      const hints = new Map();
      const F = ZXing.BarcodeFormat;
      hints.set(ZXing.DecodeHintType.POSSIBLE_FORMATS, [F.QR_CODE, F.EAN_13, F.UPC_A]);
      hints.set(ZXing.DecodeHintType.TRY_HARDER, true);
      if (pure) hints.set(ZXing.DecodeHintType.PURE_BARCODE, true);
      zxingReaders[key] = new ZXing.MultiFormatReader();
      zxingReaders[key].setHints(hints);
    }
    return zxingReaders[key];
  }

  let nativeDetector; // undefined: not looked for yet; null: the browser has none for QR
  async function findNativeDetector() {
    if (nativeDetector !== undefined) return nativeDetector;
    nativeDetector = null;
    if ("BarcodeDetector" in window) {
      try {
        const supported = await window.BarcodeDetector.getSupportedFormats();
        const formats = FORMATS.filter((f) => supported.includes(f));
        if (formats.includes("qr_code")) nativeDetector = new window.BarcodeDetector({ formats });
      } catch (error) {
        nativeDetector = null;
      }
    }
    return nativeDetector;
  }

  const canvas = document.createElement("canvas");
  const context = canvas.getContext("2d", { willReadFrequently: true });

  /** Draw an image, video frame or canvas on our canvas, at most 1280 px wide. */
  function draw(source, factor = 1) {
    const width = source.videoWidth || source.naturalWidth || source.width;
    const height = source.videoHeight || source.naturalHeight || source.height;
    if (!width || !height) return null;
    const scale = Math.min(1, 1280 / width) * factor;
    canvas.width = Math.round(width * scale);
    canvas.height = Math.round(height * scale);
    context.fillStyle = "#fff";
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.drawImage(source, 0, 0, canvas.width, canvas.height);
    return canvas;
  }

  /**
   * Decode one image, video frame or canvas: {text, format} or null when nothing is found.
   * options.native = false skips the browser's BarcodeDetector.
   */
  async function decode(source, options) {
    const native = options && options.native === false ? null : await findNativeDetector();
    if (native) {
      try {
        const found = await native.detect(source);
        return found.length ? { text: found[0].rawValue, format: found[0].format } : null;
      } catch (error) {
        nativeDetector = null; // the browser's detector failed: use ZXing from now on
      }
    }
    const ZXing = await loadZxing();
    for (const attempt of ATTEMPTS) {
      const drawn = draw(source, attempt.scale);
      if (!drawn) return null;
      const luminance = new ZXing.HTMLCanvasElementLuminanceSource(drawn);
      const bitmap = new ZXing.BinaryBitmap(new ZXing.HybridBinarizer(luminance));
      try {
        const result = zxingReaderFor(ZXing, attempt.pure).decodeWithState(bitmap);
        return { text: result.getText(), format: String(ZXing.BarcodeFormat[result.getBarcodeFormat()]).toLowerCase() };
      } catch (error) {
        if (!(error instanceof ZXing.Exception)) throw error;
        // not found, checksum or format: try the next way, then give up on this frame
      }
    }
    return null;
  }

  // ---- filling the form ----------------------------------------------------------------

  /** Put a decoded code into a field, say so, and move on to the next field. */
  function fill(field, found) {
    field.value = codeFrom(found.text);
    field.dispatchEvent(new Event("input", { bubbles: true }));
    field.dispatchEvent(new Event("change", { bubbles: true }));
    const result = document.querySelector(`[data-scan-result="${CSS.escape(field.id)}"]`);
    if (result) {
      const kind = found.format !== "qr_code" ? "barcode" : LABEL_URL.test(found.text.trim()) ? "QR label" : "QR code";
      result.textContent = `Scanned ${kind}: ${field.value}`;
      result.classList.remove("error");
    }
    if (navigator.vibrate) navigator.vibrate(60);
    focusNext(field);
    return field.value;
  }

  /** Decode a source and fill the field with what it holds; the code, or null. */
  async function scanSource(source, field, options) {
    const found = await decode(source, options);
    return found ? fill(field, found) : null;
  }

  /** The first empty number field after this one (the quantity), if any. */
  function nextEmpty(field) {
    const form = field.form;
    if (!form) return null;
    const fields = [...form.querySelectorAll("input[type=number], input[inputmode=numeric]")];
    return fields.find((el) => !el.value && !el.disabled && (field.compareDocumentPosition(el) & 4)) || null;
  }

  function focusNext(field) {
    const next = nextEmpty(field);
    if (next) next.focus();
  }

  // A handheld's trigger scanner types the code and Enter: go on to the quantity, not submit.
  document.querySelectorAll("[data-enter-next]").forEach((field) => {
    field.addEventListener("keydown", (event) => {
      if (event.key !== "Enter" || !field.value.trim()) return;
      const next = nextEmpty(field);
      if (next) {
        event.preventDefault();
        next.focus();
      }
    });
  });

  // ---- the camera ----------------------------------------------------------------------

  const video = dialog && dialog.querySelector("[data-scanner-video]");
  const status = dialog && dialog.querySelector("[data-scanner-status]");
  let stream = null;
  let timer = null;
  let target = null;

  function say(text, isError) {
    if (!status) return;
    status.textContent = text;
    status.classList.toggle("error", Boolean(isError));
  }

  function cameraProblem(error) {
    const name = (error && error.name) || "";
    if (name === "NotAllowedError" || name === "SecurityError" || name === "PermissionDeniedError") {
      return "Camera access was denied. Allow the camera for this site in the browser's settings, or type the code.";
    }
    if (name === "NotFoundError" || name === "OverconstrainedError" || name === "DevicesNotFoundError") {
      return "No camera was found on this device. Type the code instead.";
    }
    if (name === "NotReadableError" || name === "TrackStartError" || name === "AbortError") {
      return "The camera is busy in another app. Close it and try again, or type the code.";
    }
    return `The camera could not start (${name || error}). Type the code instead.`;
  }

  function stop() {
    clearTimeout(timer);
    timer = null;
    if (stream) stream.getTracks().forEach((track) => track.stop());
    stream = null;
    if (video) video.srcObject = null;
  }

  /** Close the camera; focus goes back to the field (the filled one moves it on itself). */
  function close(refocus = true) {
    stop();
    if (dialog && dialog.open) dialog.close();
    if (refocus && target) target.focus();
  }

  async function tick() {
    timer = null;
    if (!stream) return;
    try {
      if (video.readyState >= 2) {
        const found = await decode(video);
        if (found && stream) {
          close(false); // first: closing a modal dialog moves focus back to the Scan button
          fill(target, found);
          return;
        }
      }
    } catch (error) {
      stop();
      say(`Scanning stopped: ${error.message || error}. Type the code instead.`, true);
      return;
    }
    if (stream) timer = setTimeout(tick, FRAME_MS);
  }

  async function open(field) {
    target = field;
    say("Starting the camera…", false);
    if (!dialog.open) dialog.showModal();
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      say(
        window.isSecureContext
          ? "This browser cannot use a camera. Type the code instead."
          : "The camera needs a secure (https) connection to this site. Type the code instead.",
        true
      );
      return;
    }
    try {
      const [media] = await Promise.all([
        navigator.mediaDevices.getUserMedia({
          video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 720 } },
          audio: false,
        }),
        findNativeDetector().then((native) => native || loadZxing()),
      ]);
      if (!dialog.open) {
        media.getTracks().forEach((track) => track.stop()); // cancelled while starting
        return;
      }
      stream = media;
      video.srcObject = stream;
      await video.play();
      say("Point the camera at the QR label or the barcode.", false);
      tick();
    } catch (error) {
      stop();
      say(error instanceof DecoderError ? error.message : cameraProblem(error), true);
    }
  }

  if (dialog) {
    dialog.querySelector("[data-scanner-close]").addEventListener("click", () => close());
    dialog.addEventListener("close", stop); // Escape closes the dialog too
    document.querySelectorAll("[data-scan]").forEach((button) => {
      const field = document.getElementById(button.dataset.scan);
      if (field) button.addEventListener("click", () => open(field));
    });
  }

  window.OneshelfScanner = { decode, scanSource, codeFrom, loadZxing };
})();
