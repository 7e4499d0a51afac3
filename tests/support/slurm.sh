#!/usr/bin/env bash
# A throwaway one-node Slurm cluster on localhost for tests, everything in a
# temporary directory: munged (its own key and socket), slurmctld and slurmd
# on free ports, one partition `debug` of sixteen CPUs.
#   slurm.sh start DIR   DIR/slurm.conf, and DIR/ready once the node is idle
#   slurm.sh stop DIR    cancels every job, stops the daemons, removes DIR
#                        (only a DIR that start made, or an empty one)
# Tests read DIR from FLYTECPP_TEST_SLURM_DIR (SLURM_CONF=DIR/slurm.conf) and
# skip loudly when DIR/ready is missing. slurmd must run as root (it starts
# jobs as their users): without root, or without the packages, this says so
# and leaves no DIR/ready.
set -euo pipefail
cmd="${1:?start|stop}" dir="${2:?DIR}"

marker=.flytecpp-slurm
# shellcheck source=remove_dir.sh
source "$(dirname "$0")/remove_dir.sh"

stop() {
  if [[ -f "$dir/slurm.conf" ]]; then
    SLURM_CONF="$dir/slurm.conf" scancel --user="$(id -un)" >/dev/null 2>&1 || true
  fi
  # The pids first: the daemons remove their pid files as they go.
  pids=()
  for file in "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/slurmdbd.pid" "$dir/mariadb.pid" \
              "$dir/munge/munged.pid"; do
    [[ -f "$file" ]] && pids+=("$(cat "$file")")
  done
  ((${#pids[@]} == 0)) || kill "${pids[@]}" 2>/dev/null || true
  for _ in $(seq 100); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    ((alive == 0)) && break
    sleep 0.1
  done
  remove_dir
}

case "$cmd" in
  start)
    for bin in munged slurmctld slurmd sbatch squeue; do
      if ! command -v "$bin" >/dev/null && [[ ! -x "/usr/sbin/$bin" ]]; then
        echo "slurm.sh: $bin is not installed (apt-get install slurmctld slurmd slurm-client munge);" \
             "the Slurm tests will skip" >&2
        exit 0
      fi
    done
    if [[ $(id -u) -ne 0 ]]; then
      echo "slurm.sh: slurmd needs root; the Slurm tests will skip" >&2
      exit 0
    fi
    stop
    mkdir -p "$dir"/{munge,socket,state,spool,log}
    touch "$dir/$marker"
    # munge: a key of our own; the key's directory private, the socket's open.
    dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
    chown -R munge:munge "$dir/munge" "$dir/socket"
    chmod 700 "$dir/munge"
    chmod 400 "$dir/munge/munge.key"
    chmod 755 "$dir" "$dir/socket"
    runuser -u munge -- /usr/sbin/munged --key-file="$dir/munge/munge.key" \
      --socket="$dir/socket/munge.socket" --pid-file="$dir/munge/munged.pid" \
      --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munged.seed" ||
      { cat "$dir/munge/munged.log" >&2; exit 1; }
    read -r ctld_port slurmd_port dbd_port db_port < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(4)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])')
    # Accounting (sacct: who cancelled a job) where slurmdbd and MariaDB are
    # installed: a database server of its own in DIR, reached over loopback.
    accounting="AccountingStorageType=accounting_storage/none"
    if command -v slurmdbd >/dev/null && command -v mariadbd >/dev/null; then
      mariadb-install-db --no-defaults --user=root --datadir="$dir/db" --skip-test-db \
        >"$dir/log/mariadb-install.log" 2>&1 || { cat "$dir/log/mariadb-install.log" >&2; exit 1; }
      mariadbd --no-defaults --user=root --datadir="$dir/db" --socket="$dir/db.sock" \
        --port="$db_port" --bind-address=127.0.0.1 --pid-file="$dir/mariadb.pid" \
        --log-error="$dir/log/mariadb.log" >/dev/null 2>&1 &
      for _ in $(seq 100); do [[ -S "$dir/db.sock" ]] && break; sleep 0.1; done
      mariadb --no-defaults -S "$dir/db.sock" -u root -e \
        "CREATE USER 'slurm'@'127.0.0.1' IDENTIFIED BY 'slurm';
         GRANT ALL ON *.* TO 'slurm'@'127.0.0.1';" || { cat "$dir/log/mariadb.log" >&2; exit 1; }
      cat >"$dir/slurmdbd.conf" <<EOF
AuthType=auth/munge
AuthInfo=socket=$dir/socket/munge.socket
DbdAddr=127.0.0.1
DbdHost=localhost
DbdPort=$dbd_port
SlurmUser=root
PidFile=$dir/slurmdbd.pid
LogFile=$dir/log/slurmdbd.log
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$db_port
StorageUser=slurm
StoragePass=slurm
StorageLoc=slurm_acct_db
EOF
      chmod 600 "$dir/slurmdbd.conf"
      accounting="AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=127.0.0.1
AccountingStoragePort=$dbd_port
AccountingStoragePass=$dir/socket/munge.socket"
    else
      echo "slurm.sh: no slurmdbd or MariaDB (apt-get install slurmdbd mariadb-server): no" \
           "accounting; the tests that need it will skip" >&2
    fi
    host=$(hostname -s)
    # Sixteen CPUs whatever the machine has (config_overrides): tests run
    # trivial tasks side by side, and an array's parallelism must be able
    # to bind (a limit of 10 on two cores would hold without Slurm).
    cpus=16
    # Leave the machine some memory: the node offers three quarters of it.
    memory=$(($(awk '/MemTotal/ {print $2}' /proc/meminfo) * 3 / 4 / 1024))
    # Memory limits as Slurm's task/cgroup enforces them (jobs over theirs
    # end OUT_OF_MEMORY) where cgroup v1's memory controller is mounted;
    # else the polling gatherer kills such jobs (they end FAILED).
    tracking="ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherParams=OverMemoryKill"
    if [[ -d /sys/fs/cgroup/memory && -d /sys/fs/cgroup/freezer ]]; then
      tracking="ProctrackType=proctrack/cgroup
TaskPlugin=task/cgroup"
      cat >"$dir/cgroup.conf" <<EOF
CgroupPlugin=cgroup/v1
CgroupMountpoint=/sys/fs/cgroup
ConstrainCores=no
ConstrainRAMSpace=yes
ConstrainSwapSpace=yes
EOF
    fi
    cat >"$dir/slurm.conf" <<EOF
ClusterName=flytecpp-test
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/socket/munge.socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
$tracking
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=1
$accounting
JobCompType=jobcomp/filetxt
JobCompLoc=$dir/log/jobcomp.log
ReturnToService=2
SlurmdParameters=config_overrides
MinJobAge=3600
DefMemPerCPU=256
MaxArraySize=1001
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
    export SLURM_CONF="$dir/slurm.conf"
    if [[ -f "$dir/slurmdbd.conf" ]]; then
      slurmdbd || { cat "$dir/log/slurmdbd.log" >&2; exit 1; }
      for _ in $(seq 100); do
        sacctmgr -i add cluster flytecpp-test >/dev/null 2>&1 && break
        sleep 0.1
      done
    fi
    slurmctld -f "$SLURM_CONF" || { cat "$dir/log/slurmctld.log" >&2; exit 1; }
    slurmd -f "$SLURM_CONF" || { cat "$dir/log/slurmd.log" >&2; exit 1; }
    state=""
    for _ in $(seq 300); do
      state=$(sinfo -h -o %T 2>/dev/null || true)
      [[ "$state" == idle ]] && break
      sleep 0.1
    done
    if [[ "$state" != idle ]]; then
      echo "slurm.sh: the node did not come up (state '$state')" >&2
      tail -5 "$dir/log/slurmctld.log" "$dir/log/slurmd.log" >&2
      exit 1
    fi
    touch "$dir/ready"
    echo "slurm.sh: one-node cluster ($host, $cpus CPUs, ${memory} MiB) on 127.0.0.1:$ctld_port ($dir)"
    ;;
  stop) stop ;;
  *) echo "slurm.sh: start|stop DIR" >&2; exit 2 ;;
esac
