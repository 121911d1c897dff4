import { squaredDistanceAt } from './embeddings';
import { squaredDistances16, squaredDistancesToCentres } from './kmeans-distances';
import type { LloydState } from './kmeans-lloyd';
import type { Simd16 } from './kmeans-simd';

// Module-local binding for the hot kernel (see kmeans-lloyd.ts).
const sqDist = squaredDistanceAt;

/**
 * Yinyang k-means bounds (Ding et al., ICML 2015). The centres are split into about K/10
 * groups of nearby centres; each point keeps one lower bound per group on its distance to
 * every member except its own centre, decayed each iteration by the largest move in the group.
 * A point computes distances only to the members of groups whose bound falls below its
 * upper bound, and such a scan refreshes that group's bound exactly.
 *
 * Why not Elkan's N × K bounds: on FEENet-like data (uniform-ish on the 16-d sphere, where
 * distances concentrate) Elkan's half-gap test never passes, so every point walks all K
 * bounds every iteration; at K = 100 on 22k points an Elkan iteration took 8.4 ms against
 * 4.3 ms with these group bounds (busy machine, JS kernels), with G instead of K bounds per
 * point. (Adding per-member Elkan bounds or a tracked runner-up behind the group
 * bounds was measured too: no faster, or much slower from the memory traffic.)
 *
 * Returns a step function: one bounded assignment pass, returning how many points changed
 * cluster. The assignments are those of plain Lloyd (nearest centre by squared distance).
 * With `kernels` (16-d rows only) the distances to all centres and to a group's members are
 * computed in wasm, with the same results.
 */
export function yinyang(state: LloydState, kernels: Simd16 | null = null): () => number {
  const { dim, count, data, k, centres, assignments, upper } = state;
  const groupCount = Math.max(1, Math.round(k / 10));
  const groups = groupCentres(centres, k, dim, groupCount);
  const simd = kernels && dim === 16 ? yinyangSimd(kernels, k, groups.members) : null;
  // Lower bounds are stored as (bound + the group's cumulative drift at the time), so decaying
  // them after centres move is a per-group update instead of an N × G pass.
  const bounds: YinyangBounds = {
    ...groups,
    stored: new Float64Array(count * groupCount),
    drift: new Float64Array(groupCount),
    move: new Float64Array(groupCount),
    halfGap: new Float64Array(k),
    memberD2: simd ? simd.memberD2 : new Float64Array(k),
    simd,
  };
  const { groupOf, stored } = bounds;
  const toCentres = simd ? simd.toCentres : new Float64Array(k);
  simd?.centres64.set(centres);
  for (let i = 0; i < count; i++) {
    if (simd) simd.kernels.distancesToCentres(i, simd.centresOffset, k, simd.toCentresOffset);
    else squaredDistancesToCentres(data, i * dim, dim, centres, k, toCentres);
    let best = 0;
    for (let c = 1; c < k; c++) if (toCentres[c]! < toCentres[best]!) best = c;
    assignments[i] = best;
    upper[i] = Math.sqrt(toCentres[best]!);
    const base = i * groupCount;
    stored.fill(Infinity, base, base + groupCount);
    for (let c = 0; c < k; c++) {
      const d = Math.sqrt(toCentres[c]!);
      if (c !== best && d < stored[base + groupOf[c]!]!) stored[base + groupOf[c]!] = d;
    }
  }
  return dim === 16 ? () => yinyangPass16(state, bounds) : () => yinyangPass(state, bounds);
}

interface CentreGroups {
  readonly groupCount: number;
  readonly groupOf: Uint32Array;
  /** Centres listed group by group; group g is members[groupStart[g] .. groupStart[g + 1]). */
  readonly members: Uint32Array;
  readonly groupStart: Uint32Array;
}

interface YinyangBounds extends CentreGroups {
  /** count × groupCount: lower bound on the distance to the group's members (own centre excluded) + drift[g] when stored. */
  readonly stored: Float64Array;
  /** Per group: the sum over iterations of the largest move of a member. */
  readonly drift: Float64Array;
  readonly move: Float64Array;
  readonly halfGap: Float64Array;
  /** Scratch: squared distance from the current point to each member of the group being scanned. */
  readonly memberD2: Float64Array;
  readonly simd: YinyangSimd | null;
}

/** A run's regions of the kMeans call's wasm memory (byte offsets), with views where JS reads or writes. */
interface YinyangSimd {
  readonly kernels: Simd16;
  /** The centres as float64, refreshed before every pass. */
  readonly centresOffset: number;
  readonly centres64: Float64Array;
  readonly membersOffset: number;
  readonly memberD2Offset: number;
  readonly memberD2: Float64Array;
  readonly toCentresOffset: number;
  readonly toCentres: Float64Array;
}

/** Bytes one Yinyang run takes from a Simd16 memory. */
export function yinyangScratchBytes(k: number): number {
  return k * 128 + k * 4 + k * 8 + k * 8 + 4 * 16;
}

function yinyangSimd(kernels: Simd16, k: number, members: Uint32Array): YinyangSimd {
  const { buffer } = kernels.memory;
  const centresOffset = kernels.allocate(k * 128);
  const membersOffset = kernels.allocate(k * 4);
  const memberD2Offset = kernels.allocate(k * 8);
  const toCentresOffset = kernels.allocate(k * 8);
  new Uint32Array(buffer, membersOffset, k).set(members);
  return {
    kernels,
    centresOffset,
    centres64: new Float64Array(buffer, centresOffset, k * 16),
    membersOffset,
    memberD2Offset,
    memberD2: new Float64Array(buffer, memberD2Offset, k),
    toCentresOffset,
    toCentres: new Float64Array(buffer, toCentresOffset, k),
  };
}

/** Decays the group bounds by this iteration's centre moves and refreshes the centre gaps. */
function prepareGroups(state: LloydState, bounds: YinyangBounds): void {
  const { k, moved } = state;
  const { groupCount, groupOf, drift, move, halfGap } = bounds;
  move.fill(0);
  for (let c = 0; c < k; c++) if (moved[c]! > move[groupOf[c]!]!) move[groupOf[c]!] = moved[c]!;
  for (let g = 0; g < groupCount; g++) drift[g]! += move[g]!;
  state.centreGaps(halfGap);
  bounds.simd?.centres64.set(state.centres);
}

function yinyangPass(state: LloydState, bounds: YinyangBounds): number {
  prepareGroups(state, bounds);
  const { dim, count, data, centres, assignments, upper, moved } = state;
  const { groupCount, groupOf, members, groupStart, stored, drift, halfGap } = bounds;
  let changed = 0;
  for (let i = 0; i < count; i++) {
    const start = assignments[i]!;
    let a = start;
    let u = upper[i]! + moved[a]!;
    if (u <= halfGap[a]!) {
      upper[i] = u;
      continue;
    }
    const base = i * groupCount;
    let g = 0;
    while (g < groupCount && u <= stored[base + g]! - drift[g]!) g++;
    if (g === groupCount) {
      upper[i] = u;
      continue;
    }
    const o = i * dim;
    let u2 = sqDist(data, o, centres, a * dim, dim);
    u = Math.sqrt(u2);
    for (; g < groupCount; g++) {
      if (u <= stored[base + g]! - drift[g]!) continue;
      let m2 = Infinity;
      for (let j = groupStart[g]!, end = groupStart[g + 1]!; j < end; j++) {
        const c = members[j]!;
        if (c === a) continue;
        const d2 = sqDist(data, o, centres, c * dim, dim);
        if (d2 < u2) {
          // The old centre becomes an ordinary member of its group, at its exact distance.
          const old = groupOf[a]!;
          if (old === g) {
            if (u2 < m2) m2 = u2;
          } else if (u < stored[base + old]! - drift[old]!) stored[base + old] = u + drift[old]!;
          a = c;
          u2 = d2;
          u = Math.sqrt(d2);
        } else if (d2 < m2) m2 = d2;
      }
      stored[base + g] = Math.sqrt(m2) + drift[g]!;
    }
    upper[i] = u;
    if (a !== start) {
      assignments[i] = a;
      changed++;
    }
  }
  return changed;
}

/**
 * yinyangPass for 16-d rows (FEENet's embedding size). A scanned group's distances come from
 * the wasm SIMD kernel, or without it from squaredDistances16 (the point held in locals: half
 * the loads of every distance, ~1.4× faster pass at K = 100 on 22k points). Either way the
 * arithmetic is that of squaredDistanceAt.
 */
function yinyangPass16(state: LloydState, bounds: YinyangBounds): number {
  prepareGroups(state, bounds);
  const { count, data, centres, assignments, upper, moved } = state;
  const { groupCount, groupOf, members, groupStart, stored, drift, halfGap, memberD2, simd } = bounds;
  const toMembers = simd ? simd.kernels.distancesToMembers : null;
  const simdCentres = simd ? simd.centresOffset : 0;
  const simdMembers = simd ? simd.membersOffset : 0;
  const simdMemberD2 = simd ? simd.memberD2Offset : 0;
  let changed = 0;
  for (let i = 0; i < count; i++) {
    const start = assignments[i]!;
    let a = start;
    let u = upper[i]! + moved[a]!;
    if (u <= halfGap[a]!) {
      upper[i] = u;
      continue;
    }
    const base = i * groupCount;
    let g = 0;
    while (g < groupCount && u <= stored[base + g]! - drift[g]!) g++;
    if (g === groupCount) {
      upper[i] = u;
      continue;
    }
    const o = i * 16;
    let u2 = sqDist(data, o, centres, a * 16, 16);
    u = Math.sqrt(u2);
    for (; g < groupCount; g++) {
      if (u <= stored[base + g]! - drift[g]!) continue;
      const first = groupStart[g]!;
      const end = groupStart[g + 1]!;
      if (toMembers) toMembers(i, simdCentres, simdMembers, first, end, simdMemberD2);
      else squaredDistances16(data, o, centres, members, first, end, memberD2);
      // Same bookkeeping as yinyangPass, on the distances just computed.
      let m2 = Infinity;
      for (let j = first; j < end; j++) {
        const c = members[j]!;
        if (c === a) continue;
        const d2 = memberD2[j]!;
        if (d2 < u2) {
          const old = groupOf[a]!;
          if (old === g) {
            if (u2 < m2) m2 = u2;
          } else if (u < stored[base + old]! - drift[old]!) stored[base + old] = u + drift[old]!;
          a = c;
          u2 = d2;
          u = Math.sqrt(d2);
        } else if (d2 < m2) m2 = d2;
      }
      stored[base + g] = Math.sqrt(m2) + drift[g]!;
    }
    upper[i] = u;
    if (a !== start) {
      assignments[i] = a;
      changed++;
    }
  }
  return changed;
}

/**
 * Groups the initial centres with five Lloyd iterations on the centres themselves, seeded
 * with the first G (which k-means++ spread out), so centres that compete for the same points
 * tend to share a group and fewer groups fail their test. Deterministic; a group may end up empty.
 */
function groupCentres(centres: Float32Array, k: number, dim: number, groupCount: number): CentreGroups {
  const groupOf = new Uint32Array(k);
  const means = centres.slice(0, groupCount * dim);
  const sums = new Float64Array(groupCount * dim);
  const sizes = new Uint32Array(groupCount);
  for (let iteration = 0; iteration < 5 && groupCount > 1; iteration++) {
    for (let c = 0; c < k; c++) {
      let best = 0;
      let bestD = Infinity;
      for (let g = 0; g < groupCount; g++) {
        const d = sqDist(centres, c * dim, means, g * dim, dim);
        if (d < bestD) {
          bestD = d;
          best = g;
        }
      }
      groupOf[c] = best;
    }
    sums.fill(0);
    sizes.fill(0);
    for (let c = 0; c < k; c++) {
      const g = groupOf[c]!;
      sizes[g]!++;
      for (let d = 0; d < dim; d++) sums[g * dim + d]! += centres[c * dim + d]!;
    }
    for (let g = 0; g < groupCount; g++) {
      if (sizes[g]! > 0) for (let d = 0; d < dim; d++) means[g * dim + d] = sums[g * dim + d]! / sizes[g]!;
    }
  }
  const groupStart = new Uint32Array(groupCount + 1);
  for (let c = 0; c < k; c++) groupStart[groupOf[c]! + 1]!++;
  for (let g = 0; g < groupCount; g++) groupStart[g + 1]! += groupStart[g]!;
  const members = new Uint32Array(k);
  const next = groupStart.slice(0, groupCount);
  for (let c = 0; c < k; c++) members[next[groupOf[c]!]!++] = c;
  return { groupCount, groupOf, members, groupStart };
}
