//===- ByteSize.cpp - Parse and print memory sizes ------------------------===//
//
// Part of Sieve.
//
//===----------------------------------------------------------------------===//

#include "sieve/Support/ByteSize.h"

#include "llvm/ADT/StringSwitch.h"

#include <cmath>

std::optional<uint64_t> sieve::parseByteSize(llvm::StringRef text) {
  text = text.trim();
  size_t numberEnd = text.find_first_not_of("0123456789.");
  llvm::StringRef number = text.substr(0, numberEnd);
  llvm::StringRef unit =
      numberEnd == llvm::StringRef::npos ? "" : text.substr(numberEnd).trim();
  double value;
  if (number.empty() || number.getAsDouble(value) || value < 0)
    return std::nullopt;
  std::optional<double> scale = llvm::StringSwitch<std::optional<double>>(unit)
                                    .Cases({"", "B"}, 1.0)
                                    .Cases({"KiB", "K", "k"}, 1024.0)
                                    .Cases({"MiB", "M"}, 1024.0 * 1024.0)
                                    .Cases({"KB", "kB"}, 1000.0)
                                    .Case("MB", 1000.0 * 1000.0)
                                    .Default(std::nullopt);
  if (!scale)
    return std::nullopt;
  double bytes = value * *scale;
  if (bytes != std::floor(bytes) || bytes > 1e18)
    return std::nullopt;
  return static_cast<uint64_t>(bytes);
}
