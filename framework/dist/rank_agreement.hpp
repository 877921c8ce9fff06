#pragma once
// Startup checks of a multi-rank run: before anything is trained or written, every rank must
// have started without error and must be about to train the same thing as rank 0 (the same
// config, corpus and starting state: a rank with another config file, an older corpus copy or
// a stale checkpoint would silently train something else). If not, every rank throws the same
// CollectiveError, naming the rank and what differs, and the job ends with exit code 2.
// For a single process these checks only rethrow the process's own error.

#include <cstdint>
#include <string>

#include "dist/communicator.hpp"

namespace lrnn {

// What a rank is about to train.
struct StartFingerprint {
    std::string config_yaml;       // resolved config, keys that may differ per rank left out
    std::uint64_t corpus_hash = 0;
    std::uint64_t state_hash = 0;  // parameters, optimizer state and progress
};

// `error`: this rank's error message ("" if it started; then `mine` is its fingerprint).
void agree_on_start(Communicator& comm, const std::string& error, const StartFingerprint& mine);

// Every rank passes its error ("" if none), e.g. after rank 0 alone wrote files; if any rank
// has one, every rank throws it.
void agree_no_error(Communicator& comm, const std::string& error);

// The first key whose line differs between two to_yaml() texts (rank `rank`'s and rank 0's),
// e.g. "train.lr (0.02 on rank 1, 0.01 on rank 0)"; "" if the texts are equal.
std::string first_config_difference(const std::string& mine, const std::string& root, int rank);

}  // namespace lrnn
