/** Resource quantities as the apiserver prints them back (https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/quantity/). */

/** In the apiserver's canonical form (1024Mi reads back as 1Gi). */
export function binaryQuantity(value: number, unit: 'Mi' | 'Gi'): string {
  const units = ['Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
  let i = units.indexOf(unit);
  let v = value;
  if (!Number.isInteger(v)) return `${Math.round(v * 1024)}${units[i - 1]}`;
  while (v >= 1024 && v % 1024 === 0 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v}${units[i]}`;
}

/** The apiserver's canonical form ("2", "500m"), so that an applied object reads back as written. */
export function cpuQuantity(cores: number): string {
  return Number.isInteger(cores) ? String(cores) : `${Math.round(cores * 1000)}m`;
}
