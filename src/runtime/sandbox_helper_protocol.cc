#include "sandbox_helper_protocol.h"

#include <charconv>

namespace flytecpp::runtime::internal {

namespace {

void Put(std::string* out, const std::string& s) {
  out->append(s);
  out->push_back('\0');
}

void PutList(std::string* out, const std::vector<std::string>& list) {
  Put(out, std::to_string(list.size()));
  for (const auto& s : list) Put(out, s);
}

void PutMounts(std::string* out, const std::vector<HelperMount>& mounts) {
  Put(out, std::to_string(mounts.size()));
  for (const auto& m : mounts) {
    Put(out, m.host);
    Put(out, m.inside);
    Put(out, m.read_only ? "ro" : "rw");
  }
}

class Reader {
 public:
  explicit Reader(const std::string& data) : data_(data) {}
  bool Next(std::string* s) {
    const size_t end = data_.find('\0', pos_);
    if (end == std::string::npos) return false;
    s->assign(data_, pos_, end - pos_);
    pos_ = end + 1;
    return true;
  }
  bool Count(size_t* n) {
    std::string s;
    if (!Next(&s)) return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *n);
    return ec == std::errc() && p == s.data() + s.size() && *n <= data_.size();
  }
  bool List(std::vector<std::string>* list) {
    size_t n = 0;
    if (!Count(&n)) return false;
    list->resize(n);
    for (auto& s : *list) {
      if (!Next(&s)) return false;
    }
    return true;
  }
  bool Mounts(std::vector<HelperMount>* mounts) {
    size_t n = 0;
    if (!Count(&n)) return false;
    mounts->resize(n);
    std::string mode;
    for (auto& m : *mounts) {
      if (!Next(&m.host) || !Next(&m.inside) || !Next(&mode)) return false;
      if (mode != "ro" && mode != "rw") return false;
      m.read_only = mode == "ro";
    }
    return true;
  }
  bool AtEnd() const { return pos_ == data_.size(); }

 private:
  const std::string& data_;
  size_t pos_ = 0;
};

}  // namespace

std::string EncodeHelperRequest(const HelperRequest& r) {
  std::string out;
  Put(&out, "run");
  Put(&out, r.workdir);
  Put(&out, r.address_space ? std::to_string(*r.address_space) : "");
  PutMounts(&out, r.mounts);
  PutList(&out, r.argv);
  PutList(&out, r.env);
  return out;
}

bool DecodeHelperRequest(const std::string& data, HelperRequest* r) {
  Reader in(data);
  std::string kind, limit;
  if (!in.Next(&kind) || kind != "run" || !in.Next(&r->workdir) || !in.Next(&limit)) return false;
  r->address_space.reset();
  if (!limit.empty()) {
    uint64_t v = 0;
    auto [p, ec] = std::from_chars(limit.data(), limit.data() + limit.size(), v);
    if (ec != std::errc() || p != limit.data() + limit.size()) return false;
    r->address_space = v;
  }
  return in.Mounts(&r->mounts) && in.List(&r->argv) && in.List(&r->env) && !r->argv.empty() &&
         in.AtEnd();
}

}  // namespace flytecpp::runtime::internal
