namespace FacePlatform.ServiceDefaults.Hosting;

/// <summary>
/// A process-wide budget of some costly unit in flight (decoded pixels in the embedding service, photo bytes in the
/// gateway): work takes its cost before it allocates and gives it back when done. Waiters are served first come first
/// served (a large request is not starved by a stream of small ones) and wait at most a short time: a full process
/// answers "busy, retry" instead of queueing without bound, which is what kept memory growing under attack.
/// </summary>
public sealed class InFlightBudget
{
    private readonly Lock _gate = new();
    private readonly LinkedList<Waiter> _waiters = [];
    private long _available;

    /// <summary>Creates a budget of <paramref name="capacity"/> units.</summary>
    public InFlightBudget(long capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Capacity = capacity;
        _available = capacity;
    }

    /// <summary>Units the whole process may hold at once.</summary>
    public long Capacity { get; }

    /// <summary>Units held now.</summary>
    public long InFlight
    {
        get
        {
            lock (_gate)
            {
                return Capacity - _available;
            }
        }
    }

    /// <summary>
    /// Takes <paramref name="amount"/> units, waiting at most <paramref name="wait"/> for others to give theirs back.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="amount"/> is more than <see cref="Capacity"/>: it can never fit.</exception>
    /// <exception cref="InFlightBudgetExhaustedException">The units did not come free within <paramref name="wait"/>.</exception>
    public async Task<IDisposable> AcquireAsync(long amount, TimeSpan wait, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(amount);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(amount, Capacity);
        Waiter waiter;
        lock (_gate)
        {
            if (_waiters.Count == 0 && _available >= amount)
            {
                _available -= amount;
                return new Lease(this, amount);
            }

            waiter = new Waiter(amount);
            waiter.Node = _waiters.AddLast(waiter);
        }

        try
        {
            await waiter.Granted.Task.WaitAsync(wait, cancellationToken).ConfigureAwait(false);
            return new Lease(this, amount);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            lock (_gate)
            {
                if (waiter.Node?.List is not null)
                {
                    _waiters.Remove(waiter.Node);
                    // The head may have been the one blocking smaller waiters behind it.
                    GrantWaiters();
                }
                else
                {
                    // Granted just as the wait ended: give the units back.
                    _available += amount;
                    GrantWaiters();
                }
            }

            if (ex is OperationCanceledException)
            {
                throw;
            }

            throw new InFlightBudgetExhaustedException(amount, Capacity);
        }
    }

    private void Release(long amount)
    {
        lock (_gate)
        {
            _available += amount;
            GrantWaiters();
        }
    }

    private void GrantWaiters()
    {
        while (_waiters.First is { } head && head.Value.Amount <= _available)
        {
            _available -= head.Value.Amount;
            _waiters.RemoveFirst();
            head.Value.Node = null;
            head.Value.Granted.TrySetResult();
        }
    }

    private sealed class Waiter(long amount)
    {
        public long Amount { get; } = amount;

        public LinkedListNode<Waiter>? Node { get; set; }

        public TaskCompletionSource Granted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class Lease(InFlightBudget budget, long amount) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                budget.Release(amount);
            }
        }
    }
}

/// <summary>An <see cref="InFlightBudget"/> had no room within the wait: the process is busy, retry shortly.</summary>
public sealed class InFlightBudgetExhaustedException : Exception
{
    public InFlightBudgetExhaustedException()
    {
    }

    public InFlightBudgetExhaustedException(string message)
        : base(message)
    {
    }

    public InFlightBudgetExhaustedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a request of <paramref name="amount"/> out of <paramref name="capacity"/>.</summary>
    public InFlightBudgetExhaustedException(long amount, long capacity)
        : base($"busy: {amount} units did not come free in time (the process holds at most {capacity}); retry shortly") =>
        Amount = amount;

    /// <summary>Units asked for.</summary>
    public long Amount { get; }
}
