// row 7: one parse with @xmldom/xmldom (bench/lib/xml-once.ts)
import { DOMParser } from '@xmldom/xmldom';
import { once } from './xml-once.js';

once((text) => new DOMParser().parseFromString(text, 'text/xml').documentElement);
