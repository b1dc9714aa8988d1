export { hostFingerprint, fingerprintId, type HostFingerprint } from './fingerprint';
export { Wisdom, defaultWisdomPath, type WisdomMeasurement, type WisdomFile } from './wisdom';
export { measureWithWisdom, specKey } from './measure';
