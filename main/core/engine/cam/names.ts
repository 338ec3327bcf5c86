// The CAM method names, free of TF.js so that the calling thread can import them; the list lives in the
// contract's types, which every layer shares.
import { CAM_METHOD_NAMES, type CamMethod } from '../../../../common/types';

export const CAM_METHODS = CAM_METHOD_NAMES;
export type CamMethodName = CamMethod;
