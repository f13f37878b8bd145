// The qemu hook libvirt runs (installed by install.sh). All logic lives in src/hooks.
import { hookMain } from '../src/hooks/hook-main.js';

void hookMain('qemu');
