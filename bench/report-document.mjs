// A deterministic, report-like document: nested objects, arrays of records, many floats.
// Used by the benchmark and the tests so that both measure the same shape of data.

/** A small, fast, seeded PRNG (mulberry32), so the document is the same on every run. */
export function seededRandom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Builds a report-like document of roughly `targetBytes` of JSON. */
export function reportDocument(targetBytes = 1_000_000, seed = 42) {
  const random = seededRandom(seed);
  const doc = {
    manifest: { caseId: "case-0001", version: 3, createdBy: "bench", tags: ["pdf", "a4", "färg"] },
    axes: [],
    metrics: {},
  };
  let size = 200;
  let i = 0;
  while (size < targetBytes) {
    const axis = {
      id: `axis-${i}`,
      label: `Axis number ${i}`,
      esi: random() * 100,
      weight: random(),
      enabled: random() > 0.5,
      samples: Array.from({ length: 16 }, () => random() * 1000 - 500),
      bounds: { min: -random() * 10, max: random() * 10, step: 0.25 },
      count: Math.floor(random() * 1000),
    };
    doc.axes.push(axis);
    doc.metrics[`m${i}`] = { mean: random(), sd: random() / 10, n: i };
    size += JSON.stringify(axis).length + 60;
    i += 1;
  }
  return doc;
}
