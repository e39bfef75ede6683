// Documented limits on uploaded models; each breach is an EngineError 'limit_exceeded'.

/** Layers (graph nodes), InputLayer excluded: MobileNetV2 has 155, ResNet-50 176. */
export const MAX_NODES = 1024;
/** Nesting of a layer's inbound_nodes in model.json (a deeper one is refused before it is walked). */
export const MAX_INBOUND_DEPTH = 16;
/** Weight elements over all tensors (128 MB of float32: ResNet-50 has 25.6 M). */
export const MAX_PARAMETERS = 32_000_000;
/** Largest accepted input image: height, width, channels. */
export const MAX_INPUT_HEIGHT = 512;
export const MAX_INPUT_WIDTH = 512;
export const MAX_INPUT_CHANNELS = 4;
/** Size of model.json in bytes (UTF-8). */
export const MAX_MODEL_JSON_BYTES = 1 << 20;
/** Entries in the weights manifest. */
export const MAX_WEIGHT_TENSORS = 2048;
/** Elements of one layer's output for one sample (32 MiB of float32), so that one image fits in memory. */
export const MAX_ACTIVATION_ELEMENTS = 1 << 23;
/** Rank of any shape in the model. */
export const MAX_RANK = 6;
