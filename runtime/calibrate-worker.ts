/*
 * The calibration thread (watchdog.ts `startCalibration`): where no watchdog thread runs beside
 * the main thread (node 24, whose workers cannot watch signals), this one measures the probes'
 * costs while the program runs, into the process's shared slot (calibrate.ts), so that the exit's
 * write does not; then it ends.
 */
import { threadCalibration } from "./calibrate";

threadCalibration();
