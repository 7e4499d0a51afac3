// A Store that forwards every call to another, as leveldb's EnvWrapper does
// for its Env: derive from it and override only what a test injects faults
// into (or an embedder observes).
#pragma once

#include "flytecpp/store/store.h"

namespace flytecpp::store {

class StoreWrapper : public Store {
 public:
  explicit StoreWrapper(Store* target) : target_(target) {}
  Store* target() const { return target_; }

  // ExecutionLog.
  Status Commit(const Batch& batch) override { return target_->Commit(batch); }
  Result<ExecutionRecord> GetExecution(const std::string& id) override {
    return target_->GetExecution(id);
  }
  Result<std::vector<ExecutionRecord>> ListExecutions() override {
    return target_->ListExecutions();
  }
  Result<std::vector<NodeRecord>> GetNodes(const std::string& execution_id) override {
    return target_->GetNodes(execution_id);
  }
  Result<std::vector<EventRecord>> GetEvents(const std::string& execution_id) override {
    return target_->GetEvents(execution_id);
  }
  Result<std::vector<SignalRecord>> GetSignals(const std::string& execution_id) override {
    return target_->GetSignals(execution_id);
  }
  Result<std::vector<ElementRecord>> GetElements(
      const std::string& execution_id, const std::string& path,
      std::optional<core::NodeExecution::Phase> phase = std::nullopt) override {
    return target_->GetElements(execution_id, path, phase);
  }
  Result<std::optional<std::string>> GetData(const std::string& execution_id,
                                             const std::string& key) override {
    return target_->GetData(execution_id, key);
  }
  Status AcquireLease(const std::string& id, const std::string& owner, int64_t now_ns,
                      int64_t expires_ns, const std::string& dead_holder = "") override {
    return target_->AcquireLease(id, owner, now_ns, expires_ns, dead_holder);
  }
  Result<std::vector<std::string>> RenewLeases(const std::string& owner,
                                               int64_t expires_ns) override {
    return target_->RenewLeases(owner, expires_ns);
  }
  Status ReleaseLease(const std::string& id, const std::string& owner) override {
    return target_->ReleaseLease(id, owner);
  }
  Result<std::vector<ExecutionRecord>> ListUnfinished() override {
    return target_->ListUnfinished();
  }
  Status RequestAbort(const std::string& id) override { return target_->RequestAbort(id); }
  Result<std::vector<std::string>> AbortRequests(const std::string& owner) override {
    return target_->AbortRequests(owner);
  }
  const std::filesystem::path& data_dir() const override { return target_->data_dir(); }

  // RegistryStore.
  Result<std::pair<RegisteredEntity, bool>> RegisterEntity(
      const RegisteredEntity& entity) override {
    return target_->RegisterEntity(entity);
  }
  Result<std::optional<RegisteredEntity>> GetRegistered(const core::Identifier& id) override {
    return target_->GetRegistered(id);
  }
  Result<std::vector<RegisteredEntity>> ListRegistered(const EntityQuery& query) override {
    return target_->ListRegistered(query);
  }
  Status UpdateRegistered(const core::Identifier& id, int state, const std::string& closure,
                          int64_t now_ns) override {
    return target_->UpdateRegistered(id, state, closure, now_ns);
  }

  // CacheStore.
  Result<std::optional<CacheEntry>> GetCacheEntry(const std::string& key) override {
    return target_->GetCacheEntry(key);
  }
  Result<std::vector<CacheEntry>> ListCache() override { return target_->ListCache(); }
  Status RemoveCacheEntry(const std::string& key) override {
    return target_->RemoveCacheEntry(key);
  }
  Result<std::vector<CacheEntry>> PruneCache(int64_t used_before_ns, int64_t max_bytes) override {
    return target_->PruneCache(used_before_ns, max_bytes);
  }
  Result<std::string> ReserveCache(const std::string& key, const std::string& holder,
                                   int64_t now_ns, int64_t expires_ns) override {
    return target_->ReserveCache(key, holder, now_ns, expires_ns);
  }

  // ScheduleStore.
  Result<std::vector<RegisteredEntity>> ActiveLaunchPlans() override {
    return target_->ActiveLaunchPlans();
  }
  Result<std::vector<ScheduleRecord>> LeaseSchedules(const std::vector<ScheduleRecord>& wanted,
                                                     const std::string& owner, int64_t now_ns,
                                                     int64_t expires_ns) override {
    return target_->LeaseSchedules(wanted, owner, now_ns, expires_ns);
  }
  Result<std::vector<ScheduleRecord>> ListSchedules() override { return target_->ListSchedules(); }
  Status ReleaseSchedules(const std::string& owner) override {
    return target_->ReleaseSchedules(owner);
  }
  Status AdvanceSchedule(const std::string& launch_plan, const std::string& owner,
                         int64_t slot_ns) override {
    return target_->AdvanceSchedule(launch_plan, owner, slot_ns);
  }

  // NotificationStore.
  Result<std::vector<Notice>> PendingNotices(int limit) override {
    return target_->PendingNotices(limit);
  }
  Status ExpandNotice(const Notice& notice, const std::vector<Delivery>& deliveries,
                      int64_t now_ns) override {
    return target_->ExpandNotice(notice, deliveries, now_ns);
  }
  Result<std::vector<Delivery>> ClaimDeliveries(const std::string& owner, int64_t now_ns,
                                                int64_t expires_ns, int limit) override {
    return target_->ClaimDeliveries(owner, now_ns, expires_ns, limit);
  }
  Status UpdateDelivery(const Delivery& d, int64_t now_ns) override {
    return target_->UpdateDelivery(d, now_ns);
  }
  Result<std::vector<Delivery>> ListDeliveries() override { return target_->ListDeliveries(); }

 private:
  Store* target_;
};

}  // namespace flytecpp::store
