//===- MemoryMap.h - The arena plan drawn as a picture ----------*- C++ -*-===//
//
// Part of Sieve. The static arena plan as an SVG picture: every buffer a box
// from the op that writes it to the op that last reads it, at its offset in
// the arena. MCU developers draw this by hand to see where the bytes go;
// TFLite Micro's planner prints at most an 80-column text chart of it.
// docs/report.md describes the picture.
//
//===----------------------------------------------------------------------===//

#ifndef SIEVE_TARGET_MEMORYMAP_H
#define SIEVE_TARGET_MEMORYMAP_H

#include "sieve/Target/ModelInterface.h"
#include "sieve/Target/TargetInfo.h"

#include "llvm/Support/raw_ostream.h"

namespace sieve {

/// Writes `model.memory` as a standalone SVG 1.1 document: top-level op
/// index across, arena offset up, one box per buffer coloured by the layer
/// that writes it, shared storage hatched, the arena, its lower bound and the
/// budget as horizontal lines, the peak op as a band. Each box carries
/// `class="buffer"` and `data-id`, `data-bytes`, `data-offset`, `data-first`,
/// `data-last` with the numbers of the JSON report's `memory.buffers`, so
/// that scripts can read the picture back.
void emitMemoryMapSvg(const ModelInterface &model, const TargetInfo &target,
                      llvm::raw_ostream &os);

} // namespace sieve

#endif // SIEVE_TARGET_MEMORYMAP_H
