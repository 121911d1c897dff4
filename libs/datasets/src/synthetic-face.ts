/**
 * A procedural face renderer: identity (face shape, skin, hair, feature placement), expression (a few
 * continuous muscle-like parameters), pose, lighting and sensor noise, drawn with anti-aliased shapes into an
 * RGB buffer laid out like an aligned crop (eyes level near 0.40·size, inter-ocular ≈ 0.31·size).
 */
import type { SeededRandom } from './random';

/** Continuous expression parameters: the ground truth the simulated raters perceive. */
export interface ExpressionParams {
  /** Mouth-corner curvature: −1 frown … +1 broad smile (raises the lower eyelids too). */
  smile: number;
  /** Jaw/lip opening: 0 closed … 1 wide open. */
  mouthOpen: number;
  /** Whole-brow height: −1 lowered … +1 raised (forehead lines). */
  browRaise: number;
  /** Inner-brow angle: −1 inner ends raised (sad, fearful) … +1 pulled down and together (angry). */
  browFurrow: number;
  /** Eye aperture: 0.25 squint … 1.5 wide. */
  eyeOpen: number;
}

export const EXPRESSION_KEYS = ['smile', 'mouthOpen', 'browRaise', 'browFurrow', 'eyeOpen'] as const;

export interface IdentityParams {
  faceHalfWidth: number;
  faceHalfHeight: number;
  skin: [number, number, number];
  hair: [number, number, number];
  hairVolume: number;
  eyeHalfSpacing: number;
  eyeY: number;
  eyeWidth: number;
  iris: [number, number, number];
  noseY: number;
  mouthY: number;
  mouthHalfWidth: number;
  lip: [number, number, number];
  browThickness: number;
}

export interface PoseAndLighting {
  /** In-plane rotation, radians. */
  roll: number;
  /** Face-centre offset, as a fraction of the image side. */
  shiftX: number;
  shiftY: number;
  scale: number;
  /** Direction of the light across the face, and overall exposure. */
  lightX: number;
  lightY: number;
  exposure: number;
  background: [number, number, number];
  noiseSd: number;
  /** Small horizontal gaze shift of the irises, in face units. */
  gaze: number;
}

type RGB = [number, number, number];

const mix = (a: RGB, b: RGB, t: number): RGB => [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];

export function randomIdentity(rng: SeededRandom): IdentityParams {
  const skin = mix([238, 204, 178], [104, 68, 48], rng.next() ** 1.3);
  const hairPalette: RGB[] = [[30, 22, 18], [70, 45, 28], [120, 80, 40], [190, 160, 100], [150, 150, 150], [110, 40, 20]];
  return {
    faceHalfWidth: rng.uniform(0.27, 0.32),
    faceHalfHeight: rng.uniform(0.37, 0.42),
    skin,
    hair: rng.pick(hairPalette),
    hairVolume: rng.uniform(0.9, 1.15),
    eyeHalfSpacing: rng.uniform(0.148, 0.164),
    eyeY: rng.uniform(-0.125, -0.11),
    eyeWidth: rng.uniform(0.05, 0.06),
    iris: rng.pick<RGB>([[60, 40, 25], [90, 60, 30], [50, 90, 130], [70, 100, 70], [40, 30, 30]]),
    noseY: rng.uniform(0.03, 0.06),
    mouthY: rng.uniform(0.145, 0.175),
    mouthHalfWidth: rng.uniform(0.09, 0.11),
    lip: mix(skin, [170, 70, 70], rng.uniform(0.35, 0.6)),
    browThickness: rng.uniform(0.013, 0.019),
  };
}

export function randomPose(rng: SeededRandom): PoseAndLighting {
  const angle = rng.uniform(0, 2 * Math.PI);
  return {
    roll: rng.normal(0, 0.05),
    shiftX: rng.normal(0, 0.012),
    shiftY: rng.normal(0, 0.012),
    scale: rng.uniform(0.95, 1.05),
    lightX: Math.cos(angle) * rng.uniform(0, 0.25),
    lightY: Math.sin(angle) * rng.uniform(0, 0.25),
    exposure: rng.uniform(0.8, 1.15),
    background: mix([40, 45, 55], [200, 205, 210], rng.next()),
    noiseSd: rng.uniform(1.5, 5),
    gaze: rng.normal(0, 0.004),
  };
}

const clamp01 = (x: number) => (x < 0 ? 0 : x > 1 ? 1 : x);

/** Distance from (u, v) to the segment (ax, ay)–(bx, by). */
function segmentDistance(u: number, v: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const t = clamp01(((u - ax) * dx + (v - ay) * dy) / (dx * dx + dy * dy || 1));
  return Math.hypot(u - ax - t * dx, v - ay - t * dy);
}

/** A quadratic Bézier as a polyline, for thick strokes (brows, folds). */
function bezier(p0: [number, number], p1: [number, number], p2: [number, number], n = 8): number[] {
  const pts: number[] = [];
  for (let i = 0; i <= n; i++) {
    const t = i / n;
    const a = (1 - t) * (1 - t);
    const b = 2 * (1 - t) * t;
    const c = t * t;
    pts.push(a * p0[0] + b * p1[0] + c * p2[0], a * p0[1] + b * p1[1] + c * p2[1]);
  }
  return pts;
}

function polylineDistance(u: number, v: number, pts: number[]): number {
  let best = Infinity;
  for (let i = 0; i + 3 < pts.length; i += 2) {
    best = Math.min(best, segmentDistance(u, v, pts[i]!, pts[i + 1]!, pts[i + 2]!, pts[i + 3]!));
  }
  return best;
}

/** Renders one face into a new RGB buffer of size×size×3. */
export function renderFace(
  size: number,
  id: IdentityParams,
  e: ExpressionParams,
  pose: PoseAndLighting,
  noise: SeededRandom,
): Uint8Array {
  const out = new Uint8Array(size * size * 3);
  const px = 1 / (size * pose.scale); // one pixel in face units: the anti-aliasing width
  const cos = Math.cos(pose.roll);
  const sin = Math.sin(pose.roll);
  const cx = 0.5 + pose.shiftX;
  const cy = 0.52 + pose.shiftY;
  const cover = (d: number) => clamp01(0.5 - d / px); // d < 0 inside

  // Expression geometry, computed once per face.
  const mouthW = id.mouthHalfWidth * (1 + 0.12 * Math.max(0, e.smile) + 0.05 * e.mouthOpen);
  const cornerLift = -0.04 * e.smile;
  const opening = 0.085 * Math.max(0, e.mouthOpen);
  const eyeH = 0.023 * Math.max(0.12, e.eyeOpen);
  const lowerLidCut = 1 - 0.55 * Math.max(0, e.smile);
  const brows = [-1, 1].map((side) => {
    const inner: [number, number] = [side * (id.eyeHalfSpacing - 0.038 - 0.016 * Math.max(0, e.browFurrow)), id.eyeY - 0.052 - 0.03 * e.browRaise + 0.024 * e.browFurrow];
    const outer: [number, number] = [side * (id.eyeHalfSpacing + 0.052), id.eyeY - 0.046 - 0.022 * e.browRaise - 0.006 * e.browFurrow];
    const mid: [number, number] = [(inner[0] + outer[0]) / 2, Math.min(inner[1], outer[1]) - 0.014 - 0.006 * e.browRaise];
    return bezier(inner, mid, outer);
  });
  const folds = [-1, 1].map((side) =>
    bezier([side * 0.045, id.noseY - 0.005], [side * (mouthW + 0.03), (id.noseY + id.mouthY) / 2], [side * (mouthW + 0.018), id.mouthY + 0.03]),
  );
  const foldStrength = 0.25 * Math.max(0, e.smile - 0.2);
  const wrinkleStrength = 0.22 * Math.max(0, e.browRaise - 0.35);
  const frownLineStrength = 0.3 * Math.max(0, e.browFurrow - 0.3);

  for (let py = 0; py < size; py++) {
    for (let pxl = 0; pxl < size; pxl++) {
      const x = (pxl + 0.5) / size - cx;
      const y = (py + 0.5) / size - cy;
      const u = (cos * x + sin * y) / pose.scale;
      const v = (-sin * x + cos * y) / pose.scale;

      let c: RGB = mix(pose.background, [pose.background[0] * 0.7, pose.background[1] * 0.7, pose.background[2] * 0.7], (py / size) * 0.6);
      const paint = (color: RGB, alpha: number) => {
        if (alpha > 0) c = mix(c, color, alpha);
      };

      // Neck and hair sit behind the face.
      paint(mix(id.skin, [0, 0, 0], 0.25), cover(Math.max(Math.abs(u) - id.faceHalfWidth * 0.45, -v + 0.25)));
      const hairA = id.faceHalfWidth * 1.08 * id.hairVolume;
      const hairB = id.faceHalfHeight * 0.98;
      paint(id.hair, cover((Math.hypot(u / hairA, (v + 0.07) / hairB) - 1) * Math.min(hairA, hairB)));

      const faceD = (Math.hypot(u / id.faceHalfWidth, v / id.faceHalfHeight) - 1) * Math.min(id.faceHalfWidth, id.faceHalfHeight);
      const faceA = cover(faceD);
      if (faceA > 0) {
        const light = 0.9 + pose.lightX * (u / id.faceHalfWidth) + pose.lightY * (v / id.faceHalfHeight);
        let skin: RGB = [id.skin[0] * light, id.skin[1] * light, id.skin[2] * light];
        // Shade toward the rim: a cheap cue of a rounded surface.
        skin = mix(skin, [skin[0] * 0.75, skin[1] * 0.72, skin[2] * 0.72], clamp01((faceD + 0.06) / 0.06) ** 2);
        paint(skin, faceA);
        // Fringe of hair over the forehead.
        paint(id.hair, faceA * cover(v + id.faceHalfHeight * 0.72 + 0.02 * Math.cos(u * 30)));

        const dark: RGB = [skin[0] * 0.6, skin[1] * 0.55, skin[2] * 0.55];
        if (wrinkleStrength > 0) {
          for (const wy of [-0.245, -0.215]) paint(dark, wrinkleStrength * cover(Math.abs(v - wy - 0.008 * (u * 10) ** 2) - 0.0025) * cover(Math.abs(u) - 0.09));
        }
        if (frownLineStrength > 0) {
          for (const side of [-1, 1]) paint(dark, frownLineStrength * cover(segmentDistance(u, v, side * 0.012, id.eyeY - 0.05, side * 0.016, id.eyeY - 0.015) - 0.0025));
        }
        for (const brow of brows) paint(mix(id.hair, [0, 0, 0], 0.3), cover(polylineDistance(u, v, brow) - id.browThickness / 2));
        if (foldStrength > 0) for (const fold of folds) paint(dark, foldStrength * cover(polylineDistance(u, v, fold) - 0.003));

        for (const side of [-1, 1]) {
          const ex = side * id.eyeHalfSpacing;
          const du = u - ex;
          const dv = v - id.eyeY;
          const eyeD = (Math.hypot(du / id.eyeWidth, dv / eyeH) - 1) * Math.min(id.eyeWidth, eyeH);
          // A smile pushes the lower lid up: cut the eye's lower half.
          const lidD = Math.max(eyeD, dv - eyeH * lowerLidCut);
          paint(mix(skin, [0, 0, 0], 0.35), cover(eyeD - 0.004) * 0.6); // socket shadow
          const eyeA = cover(lidD);
          if (eyeA > 0) {
            paint([235, 232, 228], eyeA);
            const irisD = Math.hypot(du - pose.gaze, dv) - 0.0165;
            paint(id.iris, eyeA * cover(irisD));
            paint([10, 10, 10], eyeA * cover(Math.hypot(du - pose.gaze, dv) - 0.0065));
          }
          // Upper lid line.
          paint([25, 20, 20], cover(Math.abs(eyeD) - 0.0028) * (dv < 0 ? 1 : 0.35));
        }

        // Nose: ridge shading and nostrils.
        paint(dark, 0.35 * cover(segmentDistance(u, v, 0.012, id.eyeY + 0.02, 0.016, id.noseY - 0.01) - 0.004));
        for (const side of [-1, 1]) paint([skin[0] * 0.4, skin[1] * 0.35, skin[2] * 0.35], cover((Math.hypot((u - side * 0.018) / 0.011, (v - id.noseY) / 0.006) - 1) * 0.006));

        // Mouth: corners lifted by the smile, opening below a thin upper lip, teeth in a smiling open mouth.
        const t = u / mouthW;
        if (Math.abs(t) < 1.15) {
          const taper = Math.sqrt(clamp01(1 - t * t));
          const centre = id.mouthY + cornerLift * t * t;
          const upper = centre - 0.25 * opening * taper;
          const lower = centre + 0.75 * opening * taper;
          const sideD = (Math.abs(t) - 1) * mouthW;
          const upperLip = Math.max(upper - 0.012 * taper - v, v - upper, sideD);
          const lowerLip = Math.max(v - lower - 0.016 * taper, lower - v, sideD);
          paint(id.lip, cover(upperLip));
          paint(id.lip, cover(lowerLip));
          if (opening > 0.004) {
            const inside = Math.max(upper - v, v - lower, sideD);
            paint([55, 18, 22], cover(inside));
            if (e.smile > 0.15) {
              const teethBottom = upper + (lower - upper) * Math.min(0.55, 0.2 + 0.4 * e.smile);
              paint([240, 238, 230], cover(Math.max(inside, v - teethBottom)));
            }
          }
          paint([70, 25, 30], cover(Math.max(Math.abs(v - (upper + lower) / 2) - 0.0025, sideD)) * (opening > 0.004 ? 0 : 1));
        }
      }

      const o = (py * size + pxl) * 3;
      for (let k = 0; k < 3; k++) {
        const value = c[k]! * pose.exposure + noise.normal(0, pose.noiseSd);
        out[o + k] = value < 0 ? 0 : value > 255 ? 255 : Math.round(value);
      }
    }
  }
  return out;
}
