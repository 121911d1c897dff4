import { describe, expect, it } from 'vitest';
import { assignTags, createGallery, embeddingMatrix, galleryExportCsv, galleryExportRows, kMeans } from '../src/index';

// Four faces on a line in 2-D: two near (0, 0), two near (1, 0).
const gallery = createGallery(
  [
    { id: 'a', image: 'a.png', person: 'p1', label: 'happy' },
    { id: 'b', image: 'b.png', person: 'p1', label: 'sad' },
    { id: 'c', image: 'c, "quoted".png', label: 'happy' },
    { id: 'd', image: 'd.png' },
  ],
  embeddingMatrix(new Float32Array([0, 0, 0.1, 0, 1, 0, 0.9, 0]), 2),
  { runId: 'run-1' },
);

describe('gallery export', () => {
  it('gives each face its map position, cluster, distance to the centre and covering tags', () => {
    const clustering = kMeans(gallery.embeddings, 2, { seed: 1 });
    const tag = { id: 7, name: 'right side', centre: new Float32Array([1, 0]), examples: [], radius: 0.2 };
    const assignment = assignTags([tag], gallery.embeddings);
    const rows = galleryExportRows(gallery, { coordinates: [0, 1, 2, 3, 4, 5, 6, 7], kMeans: clustering, tags: { assignment, names: new Map([[7, 'right side']]) } });
    expect(rows.map((r) => [r.id, r.x, r.y])).toEqual([['a', 0, 1], ['b', 2, 3], ['c', 4, 5], ['d', 6, 7]]);
    // Faces a, b share one cluster and c, d the other, each 0.05 from its centre.
    expect(rows[0]!.cluster).toBe(rows[1]!.cluster);
    expect(rows[2]!.cluster).toBe(rows[3]!.cluster);
    expect(rows[0]!.cluster).not.toBe(rows[2]!.cluster);
    for (const r of rows) expect(r.clusterDistance).toBeCloseTo(0.05, 5);
    expect(rows[2]!.tags).toEqual([{ id: 7, name: 'right side', distance: 0 }]);
    expect(rows[3]!.tags[0]!.distance).toBeCloseTo(0.1, 5);
    expect(rows[0]!.tags).toEqual([]);
  });

  it('writes CSV with a header, quoting what needs it, empty cells for what is unknown', () => {
    const csv = galleryExportCsv(galleryExportRows(gallery));
    const lines = csv.trimEnd().split('\r\n');
    expect(lines[0]).toBe('id,image,person,label,x,y,cluster,cluster_distance,tags,tag_distances');
    expect(lines).toHaveLength(5);
    expect(lines[3]).toBe('c,"c, ""quoted"".png",,happy,,,,,,');
    expect(lines[4]).toBe('d,d.png,,,,,,,,');
  });

  it('refuses parts that do not match the gallery', () => {
    expect(() => galleryExportRows(gallery, { coordinates: [0, 0] })).toThrow(/coordinates hold 1 faces/);
  });
});
