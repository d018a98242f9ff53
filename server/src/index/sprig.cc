#include "index/sprig.h"

#include <cstring>

namespace tern::index {

namespace {

constexpr uint8_t kRedBit = 1;

// A red-black tree over 2^32 handles is at most 2 * 32 levels deep; anything deeper is a cycle.
constexpr int kMaxDepth = 2 * 32 + 2;

int Compare(const base::Digest& a, const base::Digest& b) {
  return std::memcmp(a.bytes.data(), b.bytes.data(), base::kDigestSize);
}

// Null children count as black, which is what lets the tree do without a sentinel node.
bool IsRed(const EntryArena& arena, EntryHandle h) {
  return h != kNullHandle && (arena.Get(h).flags & kRedBit) != 0;
}

void SetRed(IndexEntry& e) { e.flags |= kRedBit; }
void SetBlack(IndexEntry& e) { e.flags &= static_cast<uint8_t>(~kRedBit); }

EntryHandle Minimum(const EntryArena& arena, EntryHandle h) {
  for (EntryHandle l = arena.Get(h).left; l != kNullHandle; l = arena.Get(h).left) h = l;
  return h;
}

// Black height of the subtree at `h`, or -1 if any rule is broken below it.
int CheckSubtree(const EntryArena& arena, EntryHandle h, EntryHandle parent, int depth,
                 absl::FunctionRef<bool(const base::Digest&)> in_sprig, uint32_t* nodes) {
  if (h == kNullHandle) return 1;
  if (depth > kMaxDepth) return -1;
  const IndexEntry& e = arena.Get(h);
  if (e.parent != parent || !in_sprig(e.digest)) return -1;
  if (e.left != kNullHandle && Compare(arena.Get(e.left).digest, e.digest) >= 0) return -1;
  if (e.right != kNullHandle && Compare(arena.Get(e.right).digest, e.digest) <= 0) return -1;
  const bool red = (e.flags & kRedBit) != 0;
  if (red && (IsRed(arena, e.left) || IsRed(arena, e.right))) return -1;
  ++*nodes;
  const int lh = CheckSubtree(arena, e.left, h, depth + 1, in_sprig, nodes);
  if (lh < 0) return -1;
  const int rh = CheckSubtree(arena, e.right, h, depth + 1, in_sprig, nodes);
  if (rh < 0 || rh != lh) return -1;
  return lh + (red ? 0 : 1);
}

}  // namespace

EntryHandle Sprig::Find(const EntryArena& arena, const base::Digest& digest) const {
  EntryHandle h = root_;
  while (h != kNullHandle) {
    const IndexEntry& e = arena.Get(h);
    const int c = Compare(digest, e.digest);
    if (c == 0) return h;
    h = c < 0 ? e.left : e.right;
  }
  return kNullHandle;
}

EntryHandle Sprig::FindOrInsert(EntryArena& arena, const base::Digest& digest, bool* created) {
  EntryHandle parent = kNullHandle;
  EntryHandle h = root_;
  int c = 0;
  while (h != kNullHandle) {
    const IndexEntry& e = arena.Get(h);
    c = Compare(digest, e.digest);
    if (c == 0) {
      *created = false;
      return h;
    }
    parent = h;
    h = c < 0 ? e.left : e.right;
  }

  const EntryHandle z = arena.Alloc();
  IndexEntry& ze = arena.Get(z);
  ze.digest = digest;
  ze.parent = parent;
  SetRed(ze);
  if (parent == kNullHandle) {
    root_ = z;
  } else if (c < 0) {
    arena.Get(parent).left = z;
  } else {
    arena.Get(parent).right = z;
  }
  ++count_;
  InsertFixup(arena, z);
  *created = true;
  return z;
}

void Sprig::RotateLeft(EntryArena& arena, EntryHandle x) {
  IndexEntry& xe = arena.Get(x);
  const EntryHandle y = xe.right;
  IndexEntry& ye = arena.Get(y);
  xe.right = ye.left;
  if (ye.left != kNullHandle) arena.Get(ye.left).parent = x;
  ye.parent = xe.parent;
  if (xe.parent == kNullHandle) {
    root_ = y;
  } else {
    IndexEntry& pe = arena.Get(xe.parent);
    (pe.left == x ? pe.left : pe.right) = y;
  }
  ye.left = x;
  xe.parent = y;
}

void Sprig::RotateRight(EntryArena& arena, EntryHandle x) {
  IndexEntry& xe = arena.Get(x);
  const EntryHandle y = xe.left;
  IndexEntry& ye = arena.Get(y);
  xe.left = ye.right;
  if (ye.right != kNullHandle) arena.Get(ye.right).parent = x;
  ye.parent = xe.parent;
  if (xe.parent == kNullHandle) {
    root_ = y;
  } else {
    IndexEntry& pe = arena.Get(xe.parent);
    (pe.left == x ? pe.left : pe.right) = y;
  }
  ye.right = x;
  xe.parent = y;
}

void Sprig::InsertFixup(EntryArena& arena, EntryHandle z) {
  // A red parent is never the root, so the grandparent exists whenever the loop runs.
  while (IsRed(arena, arena.Get(z).parent)) {
    EntryHandle p = arena.Get(z).parent;
    const EntryHandle g = arena.Get(p).parent;
    if (p == arena.Get(g).left) {
      const EntryHandle u = arena.Get(g).right;
      if (IsRed(arena, u)) {
        SetBlack(arena.Get(p));
        SetBlack(arena.Get(u));
        SetRed(arena.Get(g));
        z = g;
      } else {
        if (z == arena.Get(p).right) {
          z = p;
          RotateLeft(arena, z);
          p = arena.Get(z).parent;
        }
        SetBlack(arena.Get(p));
        SetRed(arena.Get(g));
        RotateRight(arena, g);
      }
    } else {
      const EntryHandle u = arena.Get(g).left;
      if (IsRed(arena, u)) {
        SetBlack(arena.Get(p));
        SetBlack(arena.Get(u));
        SetRed(arena.Get(g));
        z = g;
      } else {
        if (z == arena.Get(p).left) {
          z = p;
          RotateRight(arena, z);
          p = arena.Get(z).parent;
        }
        SetBlack(arena.Get(p));
        SetRed(arena.Get(g));
        RotateLeft(arena, g);
      }
    }
  }
  SetBlack(arena.Get(root_));
}

void Sprig::Transplant(EntryArena& arena, EntryHandle u, EntryHandle v) {
  const EntryHandle up = arena.Get(u).parent;
  if (up == kNullHandle) {
    root_ = v;
  } else {
    IndexEntry& pe = arena.Get(up);
    (pe.left == u ? pe.left : pe.right) = v;
  }
  if (v != kNullHandle) arena.Get(v).parent = up;
}

void Sprig::Erase(EntryArena& arena, EntryHandle z) {
  IndexEntry& ze = arena.Get(z);
  // Without a sentinel, x may be null; x_parent remembers where the missing black sits.
  EntryHandle x;
  EntryHandle x_parent;
  bool removed_black = (ze.flags & kRedBit) == 0;
  if (ze.left == kNullHandle) {
    x = ze.right;
    x_parent = ze.parent;
    Transplant(arena, z, ze.right);
  } else if (ze.right == kNullHandle) {
    x = ze.left;
    x_parent = ze.parent;
    Transplant(arena, z, ze.left);
  } else {
    // Relink the successor into z's place rather than copying its key into z: handles held by
    // callers (RemoveIf's iterator) must keep naming the same record.
    const EntryHandle y = Minimum(arena, ze.right);
    IndexEntry& ye = arena.Get(y);
    removed_black = (ye.flags & kRedBit) == 0;
    x = ye.right;
    if (ye.parent == z) {
      x_parent = y;
    } else {
      x_parent = ye.parent;
      Transplant(arena, y, ye.right);
      ye.right = ze.right;
      arena.Get(ye.right).parent = y;
    }
    Transplant(arena, z, y);
    ye.left = ze.left;
    arena.Get(ye.left).parent = y;
    ye.flags = static_cast<uint8_t>((ye.flags & ~kRedBit) | (ze.flags & kRedBit));
  }
  if (removed_black) EraseFixup(arena, x, x_parent);
  --count_;
  arena.Free(z);
}

void Sprig::EraseFixup(EntryArena& arena, EntryHandle x, EntryHandle x_parent) {
  // x carries an extra black. Its sibling w is never null here: x's side is one black short,
  // so w's side has black height >= 1.
  while (x != root_ && !IsRed(arena, x)) {
    IndexEntry& pe = arena.Get(x_parent);
    if (x == pe.left) {
      EntryHandle w = pe.right;
      if (IsRed(arena, w)) {
        SetBlack(arena.Get(w));
        SetRed(pe);
        RotateLeft(arena, x_parent);
        w = pe.right;
      }
      IndexEntry& we = arena.Get(w);
      if (!IsRed(arena, we.left) && !IsRed(arena, we.right)) {
        SetRed(we);
        x = x_parent;
        x_parent = pe.parent;
      } else {
        if (!IsRed(arena, we.right)) {
          SetBlack(arena.Get(we.left));
          SetRed(we);
          RotateRight(arena, w);
          w = pe.right;
        }
        IndexEntry& w2 = arena.Get(w);
        w2.flags = static_cast<uint8_t>((w2.flags & ~kRedBit) | (pe.flags & kRedBit));
        SetBlack(pe);
        SetBlack(arena.Get(w2.right));
        RotateLeft(arena, x_parent);
        x = root_;
        break;
      }
    } else {
      EntryHandle w = pe.left;
      if (IsRed(arena, w)) {
        SetBlack(arena.Get(w));
        SetRed(pe);
        RotateRight(arena, x_parent);
        w = pe.left;
      }
      IndexEntry& we = arena.Get(w);
      if (!IsRed(arena, we.left) && !IsRed(arena, we.right)) {
        SetRed(we);
        x = x_parent;
        x_parent = pe.parent;
      } else {
        if (!IsRed(arena, we.left)) {
          SetBlack(arena.Get(we.right));
          SetRed(we);
          RotateLeft(arena, w);
          w = pe.left;
        }
        IndexEntry& w2 = arena.Get(w);
        w2.flags = static_cast<uint8_t>((w2.flags & ~kRedBit) | (pe.flags & kRedBit));
        SetBlack(pe);
        SetBlack(arena.Get(w2.left));
        RotateRight(arena, x_parent);
        x = root_;
        break;
      }
    }
  }
  if (x != kNullHandle) SetBlack(arena.Get(x));
}

EntryHandle Sprig::First(const EntryArena& arena) const {
  return root_ == kNullHandle ? kNullHandle : Minimum(arena, root_);
}

EntryHandle Sprig::Next(const EntryArena& arena, EntryHandle h) {
  const IndexEntry& e = arena.Get(h);
  if (e.right != kNullHandle) return Minimum(arena, e.right);
  EntryHandle p = e.parent;
  while (p != kNullHandle && h == arena.Get(p).right) {
    h = p;
    p = arena.Get(p).parent;
  }
  return p;
}

bool Sprig::Validate(const EntryArena& arena,
                     absl::FunctionRef<bool(const base::Digest&)> in_sprig) const {
  if (root_ == kNullHandle) return count_ == 0;
  if (IsRed(arena, root_)) return false;
  uint32_t nodes = 0;
  if (CheckSubtree(arena, root_, kNullHandle, 0, in_sprig, &nodes) < 0) return false;
  if (nodes != count_) return false;

  // Child-vs-parent order checks above are local; the in-order walk proves global order and
  // exercises the parent links that First/Next (and so ForEach and RemoveIf) rely on.
  uint32_t walked = 0;
  const base::Digest* prev = nullptr;
  for (EntryHandle h = First(arena); h != kNullHandle; h = Next(arena, h)) {
    if (++walked > count_) return false;
    const base::Digest& d = arena.Get(h).digest;
    if (prev != nullptr && Compare(*prev, d) >= 0) return false;
    prev = &d;
  }
  return walked == count_;
}

}  // namespace tern::index
