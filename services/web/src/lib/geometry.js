// Face boxes come in original-image pixels. The page shows photos scaled to fit, so boxes are placed in percent of
// the image's natural size: they stay on the faces at every display size (phone width, zoom, resize).

/** CSS position of a box as percentages of the image, clamped to the image. */
export function boxToPercent(box, imageWidth, imageHeight) {
  if (!box || !imageWidth || !imageHeight) return null;
  const x = clamp(box.x, 0, imageWidth);
  const y = clamp(box.y, 0, imageHeight);
  const right = clamp(box.x + box.width, 0, imageWidth);
  const bottom = clamp(box.y + box.height, 0, imageHeight);
  return {
    left: pct(x / imageWidth),
    top: pct(y / imageHeight),
    width: pct((right - x) / imageWidth),
    height: pct((bottom - y) / imageHeight),
  };
}

/** A landmark point as percentages of the image. */
export function pointToPercent(point, imageWidth, imageHeight) {
  if (!point || !imageWidth || !imageHeight) return null;
  return { left: pct(point.x / imageWidth), top: pct(point.y / imageHeight) };
}

/** Box in displayed (CSS) pixels for an image displayed at displayWidth x displayHeight. */
export function scaleBox(box, imageWidth, imageHeight, displayWidth, displayHeight) {
  const sx = displayWidth / imageWidth;
  const sy = displayHeight / imageHeight;
  return { x: box.x * sx, y: box.y * sy, width: box.width * sx, height: box.height * sy };
}

function clamp(v, lo, hi) {
  return Math.min(hi, Math.max(lo, Number(v) || 0));
}

function pct(f) {
  return `${(f * 100).toFixed(4)}%`;
}
