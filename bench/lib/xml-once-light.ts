// row 7: one parse with virt-sriov's own parser (bench/lib/xml-once.ts)
import { readXml } from '../../src/xml/document.js';
import { once } from './xml-once.js';

once((text) => readXml(text, 'stdin').root);
