//===- ByteSize.h - Parse and print memory sizes ----------------*- C++ -*-===//
//
// Part of Sieve. Memory budgets are written the way datasheets and papers
// write them, and both conventions occur: "256KiB" (1024) and "320KB" (1000).
//
//===----------------------------------------------------------------------===//

#ifndef SIEVE_SUPPORT_BYTESIZE_H
#define SIEVE_SUPPORT_BYTESIZE_H

#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <optional>

namespace sieve {

/// Parses "262144", "256KiB", "256 KiB", "0.5MiB", "320KB", "320kB", "2MB",
/// "512B" into bytes: KiB/MiB are powers of 1024, KB/kB/MB powers of 1000, K
/// and M alone mean KiB and MiB. Returns std::nullopt on anything else and
/// on sizes that are not a whole number of bytes.
std::optional<uint64_t> parseByteSize(llvm::StringRef text);

} // namespace sieve

#endif // SIEVE_SUPPORT_BYTESIZE_H
