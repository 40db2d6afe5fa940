using FacePlatform.ServiceDefaults.Hosting;

namespace FacePlatform.Gateway.Tests;

public sealed class InFlightBudgetTests
{
    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Work_within_the_capacity_goes_at_once_and_gives_its_units_back()
    {
        var budget = new InFlightBudget(100);
        using (await budget.AcquireAsync(60, Short))
        using (await budget.AcquireAsync(40, Short))
        {
            Assert.Equal(100, budget.InFlight);
        }

        Assert.Equal(0, budget.InFlight);
    }

    [Fact]
    public async Task A_request_that_finds_no_room_in_time_is_refused_and_holds_nothing()
    {
        var budget = new InFlightBudget(100);
        using var held = await budget.AcquireAsync(70, Short);
        var error = await Assert.ThrowsAsync<InFlightBudgetExhaustedException>(() => budget.AcquireAsync(40, Short));
        Assert.Equal(40, error.Amount);
        Assert.Equal(70, budget.InFlight);
        using (await budget.AcquireAsync(30, Short))
        {
            Assert.Equal(100, budget.InFlight);
        }
    }

    [Fact]
    public async Task A_waiter_gets_the_units_as_soon_as_they_are_given_back()
    {
        var budget = new InFlightBudget(100);
        var held = await budget.AcquireAsync(80, Short);
        var waiting = budget.AcquireAsync(50, Long);
        Assert.False(waiting.IsCompleted);
        held.Dispose();
        using var granted = await waiting;
        Assert.Equal(50, budget.InFlight);
    }

    [Fact]
    public async Task Waiters_are_served_in_order_so_a_large_one_is_not_starved_by_small_ones()
    {
        var budget = new InFlightBudget(100);
        var held = await budget.AcquireAsync(60, Short);
        var large = budget.AcquireAsync(95, Long);
        // Room for 40 is free now, but the large waiter came first: the small one waits behind it (and, 95 + 10 being
        // over the budget, until the large one is done: with 90 both fit, and whether the small one's task had
        // completed by the check below was a race).
        var small = budget.AcquireAsync(10, Long);
        Assert.False(small.IsCompleted);
        held.Dispose();
        using (await large)
        {
            Assert.False(small.IsCompleted);
        }

        using var last = await small;
        Assert.Equal(10, budget.InFlight);
    }

    [Fact]
    public async Task More_than_the_whole_budget_can_never_fit_and_is_refused_at_once()
    {
        var budget = new InFlightBudget(100);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => budget.AcquireAsync(101, Long));
    }

    [Fact]
    public async Task A_cancelled_waiter_leaves_the_queue()
    {
        var budget = new InFlightBudget(100);
        var held = await budget.AcquireAsync(100, Short);
        using var cancel = new CancellationTokenSource();
        var waiting = budget.AcquireAsync(50, Long, cancel.Token);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        held.Dispose();
        Assert.Equal(0, budget.InFlight);
        using (await budget.AcquireAsync(100, Short))
        {
            Assert.Equal(100, budget.InFlight);
        }
    }
}
