// One sprig of the primary index: a red-black tree of arena entries keyed by digest, plus the
// reader/writer lock that guards it. Kept to 16 bytes because an index holds 4096 * sprigs.
#pragma once

#include <cstdint>

#include "absl/functional/function_ref.h"
#include "absl/synchronization/mutex.h"
#include "base/digest.h"
#include "index/entry_arena.h"
#include "index/index_entry.h"

namespace tern::index {

// The tree methods do no locking: the caller holds mu() shared for the const ones and
// exclusively for the others. The arena is passed in rather than stored to keep the sprig small.
class Sprig {
 public:
  Sprig() = default;
  Sprig(const Sprig&) = delete;
  Sprig& operator=(const Sprig&) = delete;

  absl::Mutex& mu() const { return mu_; }
  uint32_t count() const { return count_; }
  EntryHandle root() const { return root_; }

  // kNullHandle when absent.
  EntryHandle Find(const EntryArena& arena, const base::Digest& digest) const;

  // The entry for `digest`, inserted (zeroed apart from digest and links) if it was absent.
  EntryHandle FindOrInsert(EntryArena& arena, const base::Digest& digest, bool* created);

  // Unlinks `h` and returns its slot to the arena. Other entries keep their handles (nodes are
  // relinked, never copied), so an iterator already advanced past `h` stays valid.
  void Erase(EntryArena& arena, EntryHandle h);

  // In-order iteration without a stack, through parent links.
  EntryHandle First(const EntryArena& arena) const;
  static EntryHandle Next(const EntryArena& arena, EntryHandle h);

  // Checks digest order, parent links, the red-black rules and count(); `in_sprig` says
  // whether a digest belongs here (routing check). For tests and debugging.
  bool Validate(const EntryArena& arena,
                absl::FunctionRef<bool(const base::Digest&)> in_sprig) const;

 private:
  void RotateLeft(EntryArena& arena, EntryHandle x);
  void RotateRight(EntryArena& arena, EntryHandle x);
  void Transplant(EntryArena& arena, EntryHandle u, EntryHandle v);
  void InsertFixup(EntryArena& arena, EntryHandle z);
  void EraseFixup(EntryArena& arena, EntryHandle x, EntryHandle x_parent);

  EntryHandle root_ = kNullHandle;
  uint32_t count_ = 0;
  mutable absl::Mutex mu_;
};

}  // namespace tern::index
